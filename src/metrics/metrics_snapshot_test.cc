#include "metrics/metrics_snapshot.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pmd {
namespace {

using ::testing::HasSubstr;

TEST(RenderPrometheus, OneSamplePerInstanceWithLabelsAndTypes) {
    MetricsSnapshot snap;
    AppMetrics a;
    a.name = "web\"x";
    a.log_dropped_lines = 7;
    a.instances.push_back({0, true, 1024, 1.5, 2, 3, 10});
    a.instances.push_back({1, false, 0, 0, 0, 0, 0});
    snap.apps.push_back(a);
    std::string text = render_prometheus(snap);
    EXPECT_THAT(text, HasSubstr("# TYPE pmd_instance_memory_bytes gauge\n"));
    EXPECT_THAT(text, HasSubstr("pmd_instance_memory_bytes{app=\"web\\\"x\",instance=\"0\"} 1024\n"));
    EXPECT_THAT(text, HasSubstr("pmd_instance_cpu_seconds_total{app=\"web\\\"x\",instance=\"0\"} 1.5\n"));
    EXPECT_THAT(text, HasSubstr("pmd_instance_up{app=\"web\\\"x\",instance=\"1\"} 0\n"));
    EXPECT_THAT(text, HasSubstr("# TYPE pmd_log_dropped_lines_total counter\n"));
    EXPECT_THAT(text, HasSubstr("pmd_log_dropped_lines_total{app=\"web\\\"x\"} 7\n"));
    EXPECT_THAT(text, HasSubstr("pmd_apps 1\n"));
}

TEST(RenderPrometheus, ValuesInTheShortestFormThatReadsBackExactly) {
    MetricsSnapshot snap;
    AppMetrics a;
    a.name = "api";
    // 64 us of CPU: "%.17g" printed 6.3999999999999997e-05.
    a.instances.push_back({0, true, 0, 64e-6, 0, 0, 0});
    a.instances.push_back({1, true, 0, 0.1, 0, 0, 0});
    snap.apps.push_back(a);
    std::string text = render_prometheus(snap);
    EXPECT_THAT(text, HasSubstr("pmd_instance_cpu_seconds_total{app=\"api\",instance=\"0\"} 6.4e-05\n"));
    EXPECT_THAT(text, HasSubstr("pmd_instance_cpu_seconds_total{app=\"api\",instance=\"1\"} 0.1\n"));
}

TEST(RenderPrometheus, HealthGaugeOnlyForInstancesWithACheck) {
    MetricsSnapshot snap;
    AppMetrics a;
    a.name = "api";
    a.instances.push_back({0, true, 0, 0, 0, 0, 0, 1});
    a.instances.push_back({1, true, 0, 0, 0, 0, 0, 0});
    AppMetrics b;
    b.name = "plain";
    b.instances.push_back({0, true, 0, 0, 0, 0, 0});
    snap.apps = {a, b};
    std::string text = render_prometheus(snap);
    EXPECT_THAT(text, HasSubstr("# TYPE pmd_instance_healthy gauge\n"));
    EXPECT_THAT(text, HasSubstr("pmd_instance_healthy{app=\"api\",instance=\"0\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("pmd_instance_healthy{app=\"api\",instance=\"1\"} 0\n"));
    EXPECT_THAT(text, ::testing::Not(HasSubstr("pmd_instance_healthy{app=\"plain\"")));
}

TEST(RenderPrometheus, IoCountersOnlyForInstancesWithIoStat) {
    MetricsSnapshot snap;
    AppMetrics a;
    a.name = "db";
    a.instances.push_back({0, true, 0, 0, 0, 0, 0, -1, true, 4194304, 8192});
    a.instances.push_back({1, true, 0, 0, 0, 0, 0});  // no io controller for its cgroup
    snap.apps.push_back(a);
    std::string text = render_prometheus(snap);
    EXPECT_THAT(text, HasSubstr("# TYPE pmd_instance_io_read_bytes_total counter\n"));
    EXPECT_THAT(text, HasSubstr("pmd_instance_io_read_bytes_total{app=\"db\",instance=\"0\"} 4194304\n"));
    EXPECT_THAT(text, HasSubstr("# TYPE pmd_instance_io_write_bytes_total counter\n"));
    EXPECT_THAT(text, HasSubstr("pmd_instance_io_write_bytes_total{app=\"db\",instance=\"0\"} 8192\n"));
    EXPECT_THAT(text, ::testing::Not(HasSubstr("_bytes_total{app=\"db\",instance=\"1\"}")));
}

}  // namespace
}  // namespace pmd
