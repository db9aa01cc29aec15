// Unit checks of the Cockpit page's model (cockpit/pmd/model.js) under node: what the page
// makes of pmd's answers. Run: node tests/cockpit/model_test.js (ctest: cockpit_model).
"use strict";
const assert = require("node:assert/strict");
const path = require("node:path");
const M = require(path.join(__dirname, "../../cockpit/pmd/model.js"));

let passed = 0;
function test(name, fn) {
    try {
        fn();
        passed++;
        console.log("PASS: " + name);
    } catch (e) {
        console.log("FAIL: " + name + "\n" + e.stack);
        process.exitCode = 1;
    }
}

// ListApps as cockpit.dbus() gives it: aa{sv} with variants, instances nested as a variant.
const listApps = [
    {
        name: { t: "s", v: "web" }, state: { t: "s", v: "online" }, user: { t: "s", v: "alice" },
        owner: { t: "u", v: 1000 }, restarts: { t: "u", v: 3 },
        instances: { t: "aa{sv}", v: [
            { index: { t: "u", v: 0 }, pid: { t: "i", v: 101 }, state: { t: "s", v: "online" }, restarts: { t: "u", v: 1 },
              uptime_ms: { t: "t", v: 65000 }, cpu_percent: { t: "d", v: 2.5 }, memory_bytes: { t: "t", v: 3 * 1048576 },
              ready: { t: "b", v: true }, last_exit_reason: { t: "s", v: "killed" }, last_exit_code: { t: "i", v: 9 } },
            { index: { t: "u", v: 1 }, pid: { t: "i", v: 102 }, state: { t: "s", v: "online" }, restarts: { t: "u", v: 2 },
              uptime_ms: { t: "t", v: 1000 }, cpu_percent: { t: "d", v: 40 }, memory_bytes: { t: "t", v: 1024 },
              ready: { t: "b", v: false }, last_exit: { t: "s", v: "exited 1" } },
        ] },
    },
    { name: { t: "s", v: "batch" }, state: { t: "s", v: "stopped" }, user: { t: "s", v: "root" },
      owner: { t: "u", v: 0 }, restarts: { t: "u", v: 0 }, instances: { t: "aa{sv}", v: [] } },
];

test("PlainUnwrapsNestedVariants", () => {
    const apps = M.plain(listApps);
    assert.equal(apps[0].name, "web");
    assert.equal(apps[0].instances[1].pid, 102);
    assert.equal(apps[0].instances[0].ready, true);
    assert.deepEqual(apps[1].instances, []);
});

test("RowsOnePerInstanceAndOneForAStoppedApp", () => {
    const rows = M.rowsFromApps(M.plain(listApps));
    assert.equal(rows.length, 3);
    assert.deepEqual(rows.map(r => [r.app, r.index]), [["web", 0], ["web", 1], ["batch", null]]);
    assert.equal(rows[0].last_exit, "killed 9");
    assert.equal(rows[1].last_exit, "exited 1");
    assert.equal(rows[2].state, "stopped");
});

test("SortByCpuDescendingThenByNameForTies", () => {
    const rows = M.rowsFromApps(M.plain(listApps));
    assert.deepEqual(M.sortRows(rows, "cpu_percent", true).map(r => r.pid), [102, 101, 0]);
    assert.deepEqual(M.sortRows(rows, "app", false).map(r => [r.app, r.index]), [["batch", null], ["web", 0], ["web", 1]]);
    assert.deepEqual(M.sortRows(rows, "app", true).map(r => r.app), ["web", "web", "batch"]);
});

test("FilterNeedsEveryWord", () => {
    const rows = M.rowsFromApps(M.plain(listApps));
    assert.equal(M.filterRows(rows, "web").length, 2);
    assert.equal(M.filterRows(rows, "web 102").length, 1);
    assert.equal(M.filterRows(rows, "STOPPED").length, 1);
    assert.equal(M.filterRows(rows, "").length, 3);
    assert.equal(M.filterRows(rows, "nothing-like-it").length, 0);
});

test("FiguresUpdateTheirAppsRowsOnly", () => {
    const rows = M.rowsFromApps(M.plain(listApps));
    M.applyFigures(rows, "web", [{ index: 1, cpu_percent: 7, memory_bytes: 99, uptime_ms: 5, pid: 103, state: "online" }]);
    assert.equal(rows[1].cpu_percent, 7);
    assert.equal(rows[1].pid, 103);
    assert.equal(rows[0].cpu_percent, 2.5);
    assert.equal(rows[2].pid, 0);
});

test("UnprivilegedLoginSeesOnlyItsApps", () => {
    const apps = M.plain(listApps);
    assert.deepEqual(M.visibleApps(apps, "alice", false).map(a => a.name), ["web"]);
    assert.deepEqual(M.visibleApps(apps, "bob", false), []);
    assert.equal(M.visibleApps(apps, "bob", true).length, 2);
});

test("AdminGroupFromPmdToml", () => {
    assert.equal(M.adminGroupOf('# x\nadmin_group = "ops"\n'), "ops");
    assert.equal(M.adminGroupOf('# admin_group = "ops"\n'), "pmd");
    assert.equal(M.adminGroupOf(""), "pmd");
    assert.equal(M.managesAll({ name: "root", id: 0, groups: [] }, ""), true);
    assert.equal(M.managesAll({ name: "ann", id: 1001, groups: ["users", "pmd"] }, ""), true);
    assert.equal(M.managesAll({ name: "ann", id: 1001, groups: ["pmd"] }, 'admin_group = "ops"'), false);
    assert.equal(M.managesAll({ name: "ann", id: 1001, groups: ["ops"] }, 'admin_group = "ops"'), true);
    assert.equal(M.managesAll({ name: "ann", id: 1001, groups: ["pmd"] }, 'admin_group = ""'), false);
});

test("Formatting", () => {
    assert.equal(M.formatBytes(512), "512 B");
    assert.equal(M.formatBytes(3 * 1048576), "3.0 MiB");
    assert.equal(M.formatBytes(200 * 1048576), "200 MiB");
    assert.equal(M.formatDuration(0), "-");
    assert.equal(M.formatDuration(65000), "1m 5s");
    assert.equal(M.formatDuration(3 * 3600e3 + 120e3), "3h 2m");
    assert.equal(M.formatDuration(2 * 86400e3 + 3600e3), "2d 1h");
    assert.equal(M.formatCpu(2.25), "2.3 %");
});

test("HistoryKeepsTheLastMinutesPerInstance", () => {
    const h = new M.History(60);
    h.push("web", [{ index: 0, cpu_percent: 1, memory_bytes: 10 }, { index: 1, cpu_percent: 2, memory_bytes: 20 }], 0);
    h.push("web", [{ index: 0, cpu_percent: 3, memory_bytes: 30 }], 30000);
    h.push("web", [{ index: 0, cpu_percent: 5, memory_bytes: 50 }], 70000);
    assert.deepEqual(h.get("web", 0).map(s => s.cpu), [3, 5]);
    assert.deepEqual(h.get("web", 1).map(s => s.mem), [20]);
    h.forget("web");
    assert.deepEqual(h.get("web", 0), []);
});

test("AddFormBecomesAStartAppSpec", () => {
    const spec = M.specFromForm({ name: " api ", command: "/bin/sleep 100", instances: "2", cwd: "", env: "A=1\nB=x=y\n", autorestart: true });
    assert.deepEqual(spec, {
        name: { t: "s", v: "api" }, command: { t: "s", v: "/bin/sleep 100" }, instances: { t: "u", v: 2 },
        env: { t: "a{ss}", v: { A: "1", B: "x=y" } },
    });
    assert.deepEqual(M.specFromForm({ command: "x", instances: "max", autorestart: false }).instances, { t: "s", v: "max" });
    assert.deepEqual(M.specFromForm({ command: "x", autorestart: false }).autorestart, { t: "b", v: false });
    assert.throws(() => M.specFromForm({ command: "  " }), /command is empty/);
    assert.throws(() => M.specFromForm({ command: "x", instances: "two" }), /instances must be/);
    assert.throws(() => M.specFromForm({ command: "x", env: "NOEQUALS" }), /not NAME=value/);
});

test("ImportKindByExtension", () => {
    assert.equal(M.importKind("apps.toml"), "toml");
    assert.equal(M.importKind("ecosystem.config.js"), "pm2");
    assert.equal(M.importKind("process.YML"), "pm2");
    assert.equal(M.importKind("notes.txt"), null);
});

test("SplitLogLinesByStreamAfterTheLastShown", () => {
    const lines = [[1000, 1, 0, "out", "a"], [1001, 2, 0, "err", "b"], [1002, 3, 1, "out", "c"]];
    const all = M.splitLogLines(lines, 0);
    assert.deepEqual(all.out, [{ instance: 0, text: "a" }, { instance: 1, text: "c" }]);
    assert.deepEqual(all.err, [{ instance: 0, text: "b" }]);
    assert.equal(all.lastSeq, 3);
    // A signal that repeats what Logs returned adds only what is new.
    const next = M.splitLogLines([[1002, 3, 1, "out", "c"], [1003, 4, 0, "err", "d"]], all.lastSeq);
    assert.deepEqual(next.out, []);
    assert.deepEqual(next.err, [{ instance: 0, text: "d" }]);
    assert.equal(next.lastSeq, 4);
    assert.equal(M.splitLogLines(undefined, 7).lastSeq, 7);
});

test("LogFileTextIsOneStreamAndInstanceInSeqOrder", () => {
    const lines = [[1000, 2, 0, "out", "b"], [1001, 1, 0, "out", "a"], [1002, 3, 0, "err", "e"],
        [1003, 4, 1, "out", "other instance"], [1004, 5, 0, "out", ""]];
    assert.deepEqual(M.logFileText(lines, "out", 0), { text: "a\nb\n\n", lines: 3 });
    assert.deepEqual(M.logFileText(lines, "err", 0), { text: "e\n", lines: 1 });
    // A merge_logs file holds every instance's lines; a file shared by both streams, both.
    assert.equal(M.logFileText(lines, "out", -1).text, "a\nb\nother instance\n\n");
    assert.equal(M.logFileText(lines, "both", 0).text, "a\nb\ne\n\n");
    assert.deepEqual(M.logFileText([], "out", 0), { text: "", lines: 0 });
});

test("DarkThemeFollowsCockpitsShellStyle", () => {
    assert.equal(M.darkTheme("dark", false), true);
    assert.equal(M.darkTheme("light", true), false);
    assert.equal(M.darkTheme("auto", true), true);
    assert.equal(M.darkTheme(null, true), true);
    assert.equal(M.darkTheme(null, false), false);
});

test("ContrastRatioOfComputedColours", () => {
    assert.equal(Math.round(M.contrastRatio("rgb(0, 0, 0)", "rgb(255, 255, 255)")), 21);
    assert.equal(M.contrastRatio("rgb(17, 17, 17)", "rgba(17, 17, 17, 1)"), 1);
    assert.ok(M.contrastRatio("rgb(224, 224, 224)", "rgb(27, 29, 33)") > 7);
});

console.log(passed + " passed");
