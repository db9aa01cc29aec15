// MetricsSnapshot: the figures the Prometheus endpoint serves, copied out of the Manager
// (collect_metrics) so rendering works on plain values, and rendered in
// the text exposition format (render_prometheus). Names follow Prometheus conventions: base
// units (bytes, seconds), _total for counters, one metric per figure with app/instance labels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pmd {

class Manager;
class OutputRouter;

struct InstanceMetrics {
    unsigned index = 0;
    bool up = false;
    uint64_t memory_bytes = 0;
    double cpu_seconds = 0;
    uint32_t restarts = 0;
    uint32_t processes = 0;
    double uptime_seconds = 0;
    int healthy = -1;  // health_check verdict: 1 healthy, 0 starting or unhealthy, -1 no check
    bool io = false;   // io.stat was there (the io controller is enabled for the cgroup)
    uint64_t io_read_bytes = 0;
    uint64_t io_write_bytes = 0;
};

struct AppMetrics {
    std::string name;
    std::vector<InstanceMetrics> instances;
    uint64_t log_lines = 0;
    uint64_t log_dropped_lines = 0;
};

struct MetricsSnapshot {
    std::vector<AppMetrics> apps;
};

MetricsSnapshot collect_metrics(Manager& manager, const OutputRouter& output);
std::string render_prometheus(const MetricsSnapshot& snapshot);

}  // namespace pmd
