// Logs through pmd's pipes (files, rotation, journal wire format, drops), pmctl logs,
// flush, reopen-logs, and the Prometheus endpoint; against a real pmd with real processes.
#include <fcntl.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "pmd_harness.h"

namespace pmd::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> lines_of(const fs::path& p) {
    std::vector<std::string> out;
    std::ifstream in(p);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

// A pmctl running in the background whose stdout we read with deadlines (for logs -f).
class BackgroundPmctl {
public:
    BackgroundPmctl(const std::string& address, std::vector<std::string> args) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(fds[1], 1);
            std::vector<std::string> argv{PMCTL_BIN, "--bus", address};
            argv.insert(argv.end(), args.begin(), args.end());
            std::vector<char*> c;
            for (auto& a : argv) c.push_back(a.data());
            c.push_back(nullptr);
            ::execv(c[0], c.data());
            ::_exit(127);
        }
        ::close(fds[1]);
        out_ = fds[0];
    }
    ~BackgroundPmctl() {
        ::kill(pid_, SIGTERM);
        ::waitpid(pid_, nullptr, 0);
        ::close(out_);
    }
    // Reads until `text` has appeared in the output; false on deadline.
    bool wait_for(const std::string& text, std::chrono::milliseconds deadline = 10s) {
        auto end = std::chrono::steady_clock::now() + deadline;
        while (seen_.find(text) == std::string::npos) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd p{out_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            char buf[4096];
            ssize_t n = ::read(out_, buf, sizeof buf);
            if (n <= 0) return seen_.find(text) != std::string::npos;
            seen_.append(buf, static_cast<size_t>(n));
        }
        return true;
    }
    const std::string& seen() const { return seen_; }

private:
    pid_t pid_ = -1;
    int out_ = -1;
    std::string seen_;
};

class LogsTest : public ::testing::Test {
protected:
    void TearDown() override {
        if (HasFailure()) std::cerr << "--- pmd log ---\n" << h.pmd_log();
    }
    void start(const std::string& toml = "") {
        std::ofstream(h.dir() / "pmd.toml") << toml;
        h.start_pmd();
    }
    VariantDict spec(const std::string& name, const std::string& script) {
        VariantDict s;
        s["name"] = sdbus::Variant(name);
        s["command"] = sdbus::Variant(std::vector<std::string>{"/bin/sh", "-c", script});
        s["cwd"] = sdbus::Variant(h.dir().string());
        s["autorestart"] = sdbus::Variant(false);
        return s;
    }
    fs::path log(const std::string& file) { return h.dir() / "log" / file; }
    sdbus::Variant app_property(const std::string& app, const std::string& property) {
        sdbus::ObjectPath path;
        h.manager().callMethod("GetApp").onInterface("org.pmd.God1.Manager").withArguments(app).storeResultsTo(path);
        auto proxy = sdbus::createProxy(h.connection(), "org.pmd.God1", path);
        return proxy->getProperty(property).onInterface("org.pmd.God1.App");
    }
    // A FIFO the app reads lines from and echoes to stdout: the test decides when a line is
    // written. The app opens it read-write (cat <>fifo), so it never sees EOF between our writes.
    std::string make_fifo() {
        std::string fifo = (h.dir() / "input").string();
        ::mkfifo(fifo.c_str(), 0600);
        return fifo;
    }
    void feed(const std::string& fifo, const std::string& text) {
        // Non-blocking open fails (ENXIO) until the app has opened the FIFO: wait for that.
        int fd = -1;
        ASSERT_TRUE(h.wait_until([&] {
            fd = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK);
            return fd >= 0;
        })) << "the app never opened " << fifo;
        ::fcntl(fd, F_SETFL, 0);
        ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
        ::close(fd);
    }

    // App "fast" prints 1..lines as fast as it can, then "finished" on stderr; returns when
    // both have reached their files. stderr's last line arrives after stdout's, but the two
    // pipes are read independently, so the last stdout line is waited for too.
    void run_fast_writer(int lines) {
        h.start_app(spec("fast", "seq 1 " + std::to_string(lines) + "; echo finished >&2"));
        ASSERT_TRUE(h.wait_until([&] { return read_file(log("fast-err.log")).find("finished") != std::string::npos; },
                                 60s));
        ASSERT_TRUE(h.wait_until([&] {
            auto l = lines_of(log("fast-out.log"));
            return !l.empty() && l.back() == std::to_string(lines);
        }, 30s));
    }

    PmdHarness h;
};

TEST_F(LogsTest, FastWriterEveryLineFoundExactlyOnceInOrderAcrossRotation) {
    start("log_max_size = \"1M\"\nlog_max_files = 50\n");
    constexpr int kLines = 200000;
    ASSERT_NO_FATAL_FAILURE(run_fast_writer(kLines));
    std::vector<std::string> all;
    for (int n = 50; n >= 1; --n) {
        fs::path p = log("fast-out.log." + std::to_string(n));
        if (!fs::exists(p)) continue;
        EXPECT_LE(fs::file_size(p), 1u << 20) << p;
        for (auto& l : lines_of(p)) all.push_back(l);
    }
    ASSERT_TRUE(fs::exists(log("fast-out.log.1"))) << "200,000 lines (1.3 MB) should cross the 1M rotation boundary";
    for (auto& l : lines_of(log("fast-out.log"))) all.push_back(l);
    ASSERT_EQ(all.size(), static_cast<size_t>(kLines));
    for (int i = 0; i < kLines; ++i) ASSERT_EQ(all[static_cast<size_t>(i)], std::to_string(i + 1)) << "line " << i;
    EXPECT_EQ(app_property("fast", "DroppedLines").get<uint64_t>(), 0u);
}

// log_compress: the same fast writer; rotated files are gzipped on pmd's loop while the app
// keeps writing and rotating. Once pmd has compressed everything, the .gz files (read as zcat
// would) and the current file hold every line exactly once, in order.
TEST_F(LogsTest, FastWriterEveryLineFoundExactlyOnceInOrderAcrossCompressedRotation) {
    start("log_max_size = \"256K\"\nlog_max_files = 50\nlog_compress = true\n");
    constexpr int kLines = 200000;
    ASSERT_NO_FATAL_FAILURE(run_fast_writer(kLines));
    // Compressed when no plain rotated file and no .gz.tmp is left.
    ASSERT_TRUE(h.wait_until([&] {
        if (fs::exists(log("fast-out.log.gz.tmp"))) return false;
        for (int n = 1; n <= 50; ++n)
            if (fs::exists(log("fast-out.log." + std::to_string(n)))) return false;
        return true;
    }, 30s));
    std::vector<std::string> all;
    int compressed = 0;
    for (int n = 50; n >= 1; --n) {
        fs::path p = log("fast-out.log." + std::to_string(n) + ".gz");
        if (!fs::exists(p)) continue;
        ++compressed;
        gzFile f = gzopen(p.c_str(), "rb");
        ASSERT_NE(f, nullptr) << p;
        std::string text;
        char buf[65536];
        for (int got; (got = gzread(f, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(got));
        gzclose(f);
        EXPECT_LE(text.size(), 256u << 10) << p;
        std::istringstream in(text);
        for (std::string l; std::getline(in, l);) all.push_back(l);
    }
    EXPECT_GE(compressed, 4) << "200,000 lines (1.3 MB) cross the 256K boundary several times";
    for (auto& l : lines_of(log("fast-out.log"))) all.push_back(l);
    ASSERT_EQ(all.size(), static_cast<size_t>(kLines));
    for (int i = 0; i < kLines; ++i) ASSERT_EQ(all[static_cast<size_t>(i)], std::to_string(i + 1)) << "line " << i;
    EXPECT_EQ(app_property("fast", "DroppedLines").get<uint64_t>(), 0u);
}

TEST_F(LogsTest, PmctlLogsPrefixesAppAndInstanceAndMarksStderr) {
    start();
    h.start_app(spec("web", "echo hello; echo oops >&2; echo world; exec sleep 1000"));
    ASSERT_TRUE(h.wait_until([&] { return read_file(log("web-out.log")) == "hello\nworld\n" &&
                                          read_file(log("web-err.log")) == "oops\n"; }));
    auto r = h.pmctl({"logs", "web", "-n", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "web[0] | world\nweb[0] err | oops\n");
    r = h.pmctl({"logs", "--err"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "web[0] err | oops\n");
    r = h.pmctl({"logs", "--out", "-n", "5"});
    EXPECT_EQ(r.out, "web[0] | hello\nweb[0] | world\n");
    r = h.pmctl({"logs", "nope"});
    EXPECT_EQ(r.exit_code, 4) << r.out;
}

TEST_F(LogsTest, PmctlLogsFollowSeesNewLinesAcrossRotation) {
    start("log_max_size = 200\nlog_max_files = 3\n");
    std::string fifo = make_fifo();
    h.start_app(spec("tail", "echo first; exec cat <>" + fifo));
    ASSERT_TRUE(h.wait_until([&] { return read_file(log("tail-out.log")) == "first\n"; }));
    BackgroundPmctl follow(h.address(), {"logs", "tail", "-f", "-n", "5"});
    ASSERT_TRUE(follow.wait_for("tail[0] | first\n")) << follow.seen();
    feed(fifo, "second\n");
    ASSERT_TRUE(follow.wait_for("tail[0] | second\n")) << follow.seen();
    // 300 bytes: rotates past log_max_size = 200 while being followed.
    std::string burst;
    for (int i = 0; i < 30; ++i) burst += "burst-" + std::to_string(100 + i) + "\n";
    feed(fifo, burst);
    ASSERT_TRUE(follow.wait_for("tail[0] | burst-129\n")) << follow.seen();
    EXPECT_TRUE(fs::exists(log("tail-out.log.1")));
    for (int i = 0; i < 30; ++i) {
        std::string line = "tail[0] | burst-" + std::to_string(100 + i) + "\n";
        size_t at = follow.seen().find(line);
        EXPECT_NE(at, std::string::npos) << line;
        EXPECT_EQ(follow.seen().find(line, at + 1), std::string::npos) << "twice: " << line;
    }
}

// Per-app log_max_size/log_max_files (from an app file through pmctl) win over pmd.toml's for
// that app only: "small" rotates at 100 bytes and keeps 2 rotated files, "big" beside it keeps
// the daemon's 1M. Each line is waited for in the file before the next is fed, so where each
// rotation falls is fixed: 10 lines of 10 bytes fill a file, the 11th rotates it.
TEST_F(LogsTest, PerAppLogMaxSizeAndFilesOverrideTheDaemons) {
    start("log_max_size = \"1M\"\nlog_max_files = 10\n");
    std::string small_fifo = (h.dir() / "small-input").string(), big_fifo = (h.dir() / "big-input").string();
    ASSERT_EQ(::mkfifo(small_fifo.c_str(), 0600), 0);
    ASSERT_EQ(::mkfifo(big_fifo.c_str(), 0600), 0);
    std::ofstream(h.dir() / "small.toml") << "[[app]]\nname = \"small\"\ncommand = [\"/bin/sh\", \"-c\", \"exec cat <>"
                                          << small_fifo << "\"]\nautorestart = false\nlog_max_size = 100\nlog_max_files = 2\n";
    auto r = h.pmctl({"start", (h.dir() / "small.toml").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    h.start_app(spec("big", "exec cat <>" + big_fifo));

    auto lines = [](int from, int to) {
        std::string out;
        for (int i = from; i <= to; ++i) out += "line-" + std::to_string(1000 + i) + "\n";  // 10 bytes
        return out;
    };
    for (int i = 1; i <= 35; ++i) {
        std::string line = lines(i, i);
        feed(small_fifo, line);
        feed(big_fifo, line);
        ASSERT_TRUE(h.wait_until([&] { return read_file(log("small-out.log")).ends_with(line) &&
                                              read_file(log("big-out.log")).ends_with(line); })) << line;
    }
    EXPECT_EQ(read_file(log("small-out.log")), lines(31, 35));
    EXPECT_EQ(read_file(log("small-out.log.1")), lines(21, 30));
    EXPECT_EQ(read_file(log("small-out.log.2")), lines(11, 20));
    EXPECT_FALSE(fs::exists(log("small-out.log.3"))) << "log_max_files = 2 keeps two rotated files";
    EXPECT_EQ(read_file(log("big-out.log")), lines(1, 35));
    EXPECT_FALSE(fs::exists(log("big-out.log.1")));

    // The bus shows the keys in the app's Spec, as pmctl save would write them.
    auto described = h.pmctl({"describe", "small", "--json"});
    ASSERT_EQ(described.exit_code, 0) << described.err;
    EXPECT_THAT(described.out, HasSubstr("\"log_max_size\""));
    EXPECT_THAT(described.out, HasSubstr("\"log_max_files\""));
}

TEST_F(LogsTest, FlushTruncatesTheAppsFiles) {
    start();
    h.start_app(spec("chatty", "echo one; echo two >&2; exec sleep 1000"));
    ASSERT_TRUE(h.wait_until([&] { return !read_file(log("chatty-out.log")).empty() && !read_file(log("chatty-err.log")).empty(); }));
    auto r = h.pmctl({"flush", "chatty"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(fs::file_size(log("chatty-out.log")), 0u);
    EXPECT_EQ(fs::file_size(log("chatty-err.log")), 0u);
    r = h.pmctl({"flush", "ghost"});
    EXPECT_EQ(r.exit_code, 4);
    EXPECT_THAT(r.err, HasSubstr("ghost"));
}

TEST_F(LogsTest, ReopenLogsAfterAnExternalRename) {
    start();
    std::string fifo = make_fifo();
    h.start_app(spec("rot", "exec cat <>" + fifo));
    feed(fifo, "before\n");
    ASSERT_TRUE(h.wait_until([&] { return read_file(log("rot-out.log")) == "before\n"; }));
    fs::rename(log("rot-out.log"), log("rot-out.log.external"));
    auto r = h.pmctl({"reopen-logs"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    feed(fifo, "after\n");
    ASSERT_TRUE(h.wait_until([&] { return read_file(log("rot-out.log")) == "after\n"; }));
    EXPECT_EQ(read_file(log("rot-out.log.external")), "before\n");
}

TEST_F(LogsTest, FullDiskNeverBlocksTheAppAndDropsAreCounted) {
    start();
    // /dev/full fails every write with ENOSPC, as a full disk does. If pmd stopped draining the
    // pipe, the app would block in write() once the pipe is full and never create "done".
    constexpr int kLines = 100000;
    auto s = spec("full", "seq 1 " + std::to_string(kLines) + "; touch done; exec sleep 1000");
    s["out_file"] = sdbus::Variant(std::string("/dev/full"));
    h.start_app(s);
    ASSERT_TRUE(h.wait_until([&] { return fs::exists(h.dir() / "done"); }, 30s));
    ASSERT_TRUE(h.wait_until([&] { return app_property("full", "DroppedLines").get<uint64_t>() == kLines; }, 10s))
        << app_property("full", "DroppedLines").get<uint64_t>();
    auto r = h.pmctl({"describe", "full"});
    EXPECT_THAT(r.out, HasSubstr("100000"));
}

TEST_F(LogsTest, MetricsEndpointServesPrometheusText) {
    int port = 20000 + ::getpid() % 20000;
    start("metrics_listen = \"tcp:127.0.0.1:" + std::to_string(port) + "\"\n");
    h.start_app(spec("api", "exec sleep 1000"));
    httplib::Client client("127.0.0.1", port);
    std::string body;
    ASSERT_TRUE(h.wait_until([&] {
        auto res = client.Get("/metrics");
        if (!res || res->status != 200) return false;
        body = res->body;
        return body.find("pmd_instance_up{app=\"api\",instance=\"0\"} 1\n") != std::string::npos;
    }, 10s)) << body;
    // Every sample line parses as name{labels} value; every metric has HELP and TYPE.
    std::regex sample(R"(^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? (-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?|[+-]Inf|NaN)$)");
    std::istringstream in(body);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
        EXPECT_TRUE(std::regex_match(line, sample)) << line;
    }
    for (const char* m : {"pmd_instance_memory_bytes", "pmd_instance_cpu_seconds_total", "pmd_instance_restarts_total",
                          "pmd_log_dropped_lines_total", "pmd_instance_io_read_bytes_total",
                          "pmd_instance_io_write_bytes_total"})
        EXPECT_THAT(body, HasSubstr(std::string("# TYPE ") + m)) << m;
}

// The point of the metrics module: without metrics_listen, nothing of cpp-httplib (nor the
// OpenSSL, zlib and brotli it links) is mapped into pmd; with it, the module is, and a scrape
// elsewhere than /metrics is a 404; SIGTERM stops the server's threads (pmd exits 0).
TEST_F(LogsTest, MetricsModuleIsMappedOnlyWhenMetricsAreOn) {
    auto maps_of_pmd = [&] { return read_file("/proc/" + std::to_string(h.pmd_pid()) + "/maps"); };
    start();
    std::string maps = maps_of_pmd();
    EXPECT_THAT(maps, ::testing::Not(HasSubstr("httplib")));
    EXPECT_THAT(maps, ::testing::Not(HasSubstr("libssl")));
    ASSERT_TRUE(WIFEXITED(h.stop_pmd()));

    int port = 20000 + (::getpid() + 7) % 20000;
    std::ofstream(h.dir() / "pmd.toml") << "metrics_listen = \"tcp:127.0.0.1:" << port << "\"\n";
    h.start_pmd();
    maps = maps_of_pmd();
    EXPECT_THAT(maps, HasSubstr("pmd-metrics-httplib.so"));
    EXPECT_THAT(maps, HasSubstr("libcpp-httplib"));
    httplib::Client client("127.0.0.1", port);
    auto res = client.Get("/metrics");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_THAT(res->body, HasSubstr("pmd_apps 0"));
    res = client.Get("/elsewhere");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 404);
    int status = h.stop_pmd();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

// A production pmd keeps supervising its apps when its metrics module is missing (a broken
// install): it says which file it could not load and runs without /metrics.
// What pmd's fds name (the targets of /proc/PID/fd links; numbers mean nothing).
std::vector<std::string> fd_targets(pid_t pid) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
        std::error_code ec;
        out.push_back(fs::read_symlink(e.path(), ec).string());
    }
    return out;
}

// The fd cost of a quiet instance: its pidfd, its cgroup directory and its two pipes (both
// ends kept, see docs/architecture.md); its two log files only from its first line on. The
// slope between two sizes of one app is the per-instance count, whatever the app shares.
TEST_F(LogsTest, AQuietInstanceHoldsNoLogFileAndSixFds) {
    start();
    auto all_online = [&](const std::string& app, size_t n) {
        auto inst = h.instances(app);
        if (inst.size() != n) return false;
        for (auto& i : inst)
            if (field<std::string>(i, "state") != "online" || field<int32_t>(i, "pid") <= 0) return false;
        return true;
    };
    auto naming_log_dir = [&] {
        size_t n = 0;
        for (auto& t : fd_targets(h.pmd_pid()))
            if (t.starts_with(log("").string())) ++n;
        return n;
    };
    ASSERT_EQ(h.pmctl({"start", "-n", "quiet", "-i", "5", "--", "sleep", "1000"}).exit_code, 0);
    ASSERT_TRUE(h.wait_until([&] { return all_online("quiet", 5); }, 30s)) << h.pmctl({"ls"}).out;
    size_t at5 = fd_targets(h.pmd_pid()).size();
    ASSERT_EQ(h.pmctl({"scale", "quiet", "25"}).exit_code, 0);
    ASSERT_TRUE(h.wait_until([&] { return all_online("quiet", 25); }, 30s)) << h.pmctl({"ls"}).out;
    size_t at25 = fd_targets(h.pmd_pid()).size();
    EXPECT_EQ(at25 - at5, 20u * 6) << "fds per quiet instance: " << (double(at25) - double(at5)) / 20;
    EXPECT_EQ(naming_log_dir(), 0u);
    EXPECT_TRUE(fs::exists(log("quiet-out-24.log")));  // created at start, as before
    EXPECT_TRUE(fs::exists(log("quiet-err-24.log")));

    // A line opens its file, and only that one; no line is lost to the late open.
    ASSERT_EQ(h.pmctl({"start", "-n", "talker", "-i", "2", "--", "/bin/sh", "-c", "echo hello; exec sleep 1000"})
                  .exit_code, 0);
    ASSERT_TRUE(h.wait_until([&] {
        return lines_of(log("talker-out-0.log")) == std::vector<std::string>{"hello"} &&
               lines_of(log("talker-out-1.log")) == std::vector<std::string>{"hello"};
    }, 30s));
    std::vector<std::string> held;
    for (auto& t : fd_targets(h.pmd_pid()))
        if (t.starts_with(log("").string())) held.push_back(fs::path(t).filename().string());
    std::sort(held.begin(), held.end());
    EXPECT_EQ(held, (std::vector<std::string>{"talker-out-0.log", "talker-out-1.log"}));
}

TEST_F(LogsTest, MetricsWithoutItsModuleLogAnErrorNamingItAndPmdRuns) {
    int port = 20000 + (::getpid() + 13) % 20000;
    std::string missing = (h.dir() / "no-such-module.so").string();
    ::setenv("PMD_METRICS_MODULE", missing.c_str(), 1);
    start("metrics_listen = \"tcp:127.0.0.1:" + std::to_string(port) + "\"\n");
    ::unsetenv("PMD_METRICS_MODULE");
    EXPECT_THAT(h.pmd_log(), HasSubstr("cannot load " + missing));
    EXPECT_THAT(h.pmd_log(), HasSubstr("runs without /metrics"));
    h.start_app(spec("still", "echo managed"));
    ASSERT_TRUE(h.wait_until([&] { return read_file(log("still-out.log")) == "managed\n"; }));
    httplib::Client client("127.0.0.1", port);
    EXPECT_FALSE(client.Get("/metrics"));
}

TEST_F(LogsTest, MetricsRefuseANonLoopbackAddress) {
    std::ofstream(h.dir() / "pmd.toml") << "metrics_listen = \"tcp:0.0.0.0:9615\"\n";
    EXPECT_ANY_THROW(h.start_pmd());
    EXPECT_THAT(h.pmd_log(), HasSubstr("not a loopback address"));
}

using BusLine = sdbus::Struct<uint64_t, uint64_t, uint32_t, std::string, std::string>;

std::vector<BusLine> bus_logs(PmdHarness& h, const std::string& app, const std::string& stream) {
    sdbus::ObjectPath path;
    h.manager().callMethod("GetApp").onInterface("org.pmd.God1.Manager").withArguments(app).storeResultsTo(path);
    auto proxy = sdbus::createProxy(h.connection(), "org.pmd.God1", path);
    std::vector<BusLine> lines;
    proxy->callMethod("Logs").onInterface("org.pmd.God1.App").withArguments(stream, uint32_t{0}).storeResultsTo(lines);
    return lines;
}

std::vector<std::string> texts(const std::vector<BusLine>& lines) {
    std::vector<std::string> out;
    for (const auto& l : lines) out.push_back(l.get<4>());
    return out;
}

// What App.Logs keeps comes back from the files when pmd starts over: after a re-exec (the
// apps adopted) and after a restart over its dump (the apps resurrected). Seeded lines are
// stdout's, then stderr's, with the file's mtime, numbered before any line read since.
TEST_F(LogsTest, KeptLinesComeBackFromTheFilesAfterAReexecAndARestart) {
    start();
    // Each run numbers itself (a file in its cwd): run 1 writes out-1-a, err-1, out-1-b.
    h.start_app(spec("keeper", "n=$(cat runs 2>/dev/null || echo 0); n=$((n+1)); echo $n >runs; "
                               "trap 'echo usr1-'$n USR1; echo out-$n-a; echo err-$n >&2; echo out-$n-b; "
                               "while :; do sleep 1 & wait $!; done"));
    ASSERT_TRUE(h.wait_until([&] {
        return texts(bus_logs(h, "keeper", "out")).size() == 2 && texts(bus_logs(h, "keeper", "err")).size() == 1;
    })) << "run 1's lines never reached Logs";

    auto reexec = h.pmctl({"daemon-reexec"});
    ASSERT_EQ(reexec.exit_code, 0) << reexec.err;
    ASSERT_TRUE(h.wait_for_pmd_on_bus(20s));
    auto both = bus_logs(h, "keeper", "");
    EXPECT_EQ(texts(both), (std::vector<std::string>{"out-1-a", "out-1-b", "err-1"}));
    struct stat st{};
    ASSERT_EQ(::stat(log("keeper-out.log").c_str(), &st), 0);
    uint64_t mtime_usec = static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000 + static_cast<uint64_t>(st.st_mtim.tv_nsec) / 1000;
    ASSERT_EQ(both.size(), 3u);
    EXPECT_EQ(both[0].get<0>(), mtime_usec);
    EXPECT_LT(both[0].get<1>(), both[1].get<1>());
    EXPECT_LT(both[1].get<1>(), both[2].get<1>());
    EXPECT_EQ(both[2].get<3>(), "err");

    // A line read by the new pmd comes after the seeded ones.
    sdbus::ObjectPath path;
    h.manager().callMethod("GetApp").onInterface("org.pmd.God1.Manager").withArguments(std::string("keeper")).storeResultsTo(path);
    sdbus::createProxy(h.connection(), "org.pmd.God1", path)
        ->callMethod("Signal").onInterface("org.pmd.God1.App").withArguments(int32_t{SIGUSR1});
    ASSERT_TRUE(h.wait_until([&] { return bus_logs(h, "keeper", "").size() == 4; }));
    both = bus_logs(h, "keeper", "");
    EXPECT_EQ(both.back().get<4>(), "usr1-1");
    EXPECT_GT(both.back().get<1>(), both[2].get<1>());

    // Restarted over its dump: the app runs again (run 2), after run 1's lines.
    ASSERT_EQ(h.pmctl({"save"}).exit_code, 0);
    ASSERT_TRUE(WIFEXITED(h.stop_pmd()));
    h.start_pmd();
    ASSERT_TRUE(h.wait_until([&] {
        return texts(bus_logs(h, "keeper", "out")).size() == 5 && texts(bus_logs(h, "keeper", "err")).size() == 2;
    })) << "out: " << ::testing::PrintToString(texts(bus_logs(h, "keeper", "out")));
    EXPECT_EQ(texts(bus_logs(h, "keeper", "out")), (std::vector<std::string>{"out-1-a", "out-1-b", "usr1-1", "out-2-a", "out-2-b"}));
    EXPECT_EQ(texts(bus_logs(h, "keeper", "err")), (std::vector<std::string>{"err-1", "err-2"}));
}

// The journal sink speaks journald's native protocol on a datagram socket. This host may have
// no journald (no systemd as PID 1), so pmd is pointed at a socket the test owns
// (PMD_JOURNAL_SOCKET) and the datagrams are checked field by field: exactly what journald
// would parse. The systemd container test checks the same through journalctl.
TEST_F(LogsTest, JournalSinkSendsAppInstanceIdentifierAndPriority) {
    std::string path = (h.dir() / "journal.sock").string();
    int sock = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(sock, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::setenv("PMD_JOURNAL_SOCKET", path.c_str(), 1);
    start("log_sink = \"journal\"\n");
    ::unsetenv("PMD_JOURNAL_SOCKET");
    h.start_app(spec("jr", "echo to-out; echo to-err >&2; exec sleep 1000"));
    std::vector<std::string> got;
    auto end = std::chrono::steady_clock::now() + 10s;
    while (got.size() < 2 && std::chrono::steady_clock::now() < end) {
        pollfd p{sock, POLLIN, 0};
        if (::poll(&p, 1, 1000) <= 0) continue;
        char buf[65536];
        ssize_t n = ::recv(sock, buf, sizeof buf, 0);
        if (n > 0) got.emplace_back(buf, static_cast<size_t>(n));
    }
    ::close(sock);
    ASSERT_EQ(got.size(), 2u);
    std::sort(got.begin(), got.end());  // the two pipes are read independently
    EXPECT_EQ(got[0], "MESSAGE=to-err\nPRIORITY=3\nPMD_APP=jr\nPMD_INSTANCE=0\nPMD_STREAM=stderr\nSYSLOG_IDENTIFIER=jr\n");
    EXPECT_EQ(got[1], "MESSAGE=to-out\nPRIORITY=6\nPMD_APP=jr\nPMD_INSTANCE=0\nPMD_STREAM=stdout\nSYSLOG_IDENTIFIER=jr\n");
    auto sinks = app_property("jr", "LogSinks").get<std::vector<std::string>>();
    EXPECT_EQ(sinks, std::vector<std::string>{"journal"});
    if (!fs::exists("/run/systemd/journal/socket"))
        std::cout << "[ NOTE ] no journald on this host (/run/systemd/journal/socket missing): the real-journal check "
                     "runs in the systemd container test\n";
}

}  // namespace
}  // namespace pmd::test
