// Load figures, printed rather than asserted against a clock: 20 concurrent clients × 500 calls
// (Ping, ListApps, GetApp, a property read) while 100 instances crash-loop; p50/p99/max call
// latency, pmd's RSS before and after, and pmd's CPU during the run. And the cost of one
// crash-looping app with backoff: pmd's CPU share while it loops (must stay below 1% of a core).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "pmd_harness.h"
#include "../security/process_figures.h"

namespace pmd::test {
namespace {

using Clock = std::chrono::steady_clock;

VariantDict crasher(const std::string& name, int64_t instances, const std::string& delay_key, const std::string& delay) {
    VariantDict s;
    s["name"] = sdbus::Variant(name);
    s["command"] = sdbus::Variant(std::vector<std::string>{"/bin/false"});
    s["cwd"] = sdbus::Variant(std::string("/"));
    s["instances"] = sdbus::Variant(instances);
    s[delay_key] = sdbus::Variant(delay);
    // Never give up: every exit counts as stable, so the loop lasts as long as the test.
    s["min_uptime"] = sdbus::Variant(std::string("0ms"));
    s["max_restarts"] = sdbus::Variant(int64_t{1'000'000});
    return s;
}

uint64_t total_restarts(PmdHarness& h, const std::string& app) {
    uint64_t n = 0;
    for (auto& i : h.instances(app)) n += field<uint32_t>(i, "restarts");
    return n;
}

TEST(Load, TwentyClientsFiveHundredCallsEachWhileHundredInstancesCrashLoop) {
    PmdHarness h;
    h.start_pmd();
    uint64_t rss_idle = rss_kib(h.pmd_pid());
    h.start_app(crasher("loop", 100, "restart_delay", "1s"));
    ASSERT_TRUE(h.wait_until([&] { return total_restarts(h, "loop") >= 100; }, 30s));

    constexpr int clients = 20, calls = 500;
    std::vector<std::vector<double>> latencies(clients);
    std::atomic<int> failures{0};
    uint64_t rss_before = rss_kib(h.pmd_pid());
    uint64_t cpu_before = cpu_time_usec(h.pmd_pid());
    auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            auto connection = sdbus::createSessionBusConnectionWithAddress(h.address());
            auto manager = sdbus::createProxy(*connection, "org.pmd.God1", "/org/pmd/God1");
            auto app = sdbus::createProxy(*connection, "org.pmd.God1", "/org/pmd/God1/app/loop");
            latencies[c].reserve(calls);
            for (int i = 0; i < calls; ++i) {
                auto t0 = Clock::now();
                try {
                    switch (i % 4) {
                        case 0: manager->callMethod("Ping").onInterface("org.pmd.God1.Manager"); break;
                        case 1: {
                            std::vector<VariantDict> apps;
                            manager->callMethod("ListApps").onInterface("org.pmd.God1.Manager").storeResultsTo(apps);
                            break;
                        }
                        case 2: {
                            sdbus::ObjectPath path;
                            manager->callMethod("GetApp").onInterface("org.pmd.God1.Manager").withArguments(std::string("loop")).storeResultsTo(path);
                            break;
                        }
                        default: app->getProperty("State").onInterface("org.pmd.God1.App"); break;
                    }
                } catch (const sdbus::Error&) {
                    ++failures;
                }
                latencies[c].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
            }
        });
    }
    for (auto& t : threads) t.join();
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    uint64_t cpu_used = cpu_time_usec(h.pmd_pid()) - cpu_before;
    uint64_t rss_after = rss_kib(h.pmd_pid());

    std::vector<double> all;
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) { return all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))]; };
    std::cout << "load: " << clients << " clients x " << calls << " calls in " << seconds << " s ("
              << all.size() / seconds << " calls/s) while 100 instances crash-loop (" << total_restarts(h, "loop")
              << " restarts so far)\n"
              << "load: latency ms p50 " << pct(0.50) << " p99 " << pct(0.99) << " max " << all.back() << "\n"
              << "load: pmd RSS idle " << rss_idle << " KiB, before " << rss_before << " KiB, after " << rss_after
              << " KiB; pmd CPU " << 100.0 * static_cast<double>(cpu_used) / (seconds * 1e6) << "% of a core"
              << std::endl;
    EXPECT_EQ(failures.load(), 0);
    RecordProperty("p99_ms", std::to_string(pct(0.99)));
    h.remove("loop");
}

TEST(Load, CrashLoopWithBackoffCostsPmdBelowOnePercentOfACore) {
    PmdHarness h;
    h.start_pmd();
    h.start_app(crasher("backoff", 1, "exp_backoff_restart_delay", "100ms"));
    // From the first crash on, over 20 s of the loop: the delays grow 100 ms × 1.5^n up to 15 s.
    ASSERT_TRUE(h.wait_until([&] { return total_restarts(h, "backoff") >= 1; }, 10s));
    uint64_t cpu_before = cpu_time_usec(h.pmd_pid());
    uint64_t restarts_before = total_restarts(h, "backoff");
    auto start = Clock::now();
    // Waits on InstanceExited signals until 20 s have passed (the predicate never holds early).
    h.wait_until([] { return false; }, 20s);
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    double percent = 100.0 * static_cast<double>(cpu_time_usec(h.pmd_pid()) - cpu_before) / (seconds * 1e6);
    std::cout << "crash loop: " << total_restarts(h, "backoff") - restarts_before << " restarts in " << seconds
              << " s with exp_backoff_restart_delay 100ms; pmd CPU " << percent << "% of a core" << std::endl;
    EXPECT_LT(percent, 1.0);
    h.remove("backoff");
}

}  // namespace
}  // namespace pmd::test
