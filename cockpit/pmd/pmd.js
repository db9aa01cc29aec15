/* The pmd page: talks to org.pmd.God1 on the system bus from the browser (cockpit.dbus(), as
 * the logged-in user, so pmd authorizes every action exactly as it does pmctl's), and keeps
 * the table live from pmd's signals: AppAdded, AppRemoved, InstanceExited and the apps'
 * PropertiesChanged re-read the listing; the 1 Hz Figures announcements update CPU, memory
 * and uptime in place and feed the plots. Nothing polls: the only timer renews the Figures
 * lease (pmd announces figures for 60 s after a client reads them). */
(function () {
    "use strict";

    const M = window.pmdModel;
    const MANAGER = "org.pmd.God1.Manager";
    const APP = "org.pmd.God1.App";
    const PROPS = "org.freedesktop.DBus.Properties";
    const ROOT_PATH = "/org/pmd/God1";
    const LEASE_RENEW_MS = 30000;

    const $ = id => document.getElementById(id);

    /* Cockpit's dark theme, followed as Cockpit's own pages do (pkg/lib/cockpit-dark-theme.js,
     * Cockpit 287): the shell keeps the choice in localStorage "shell:style" (this page shares
     * its origin) and tells of a change with a "cockpit-style" event and the storage event every
     * frame gets; "auto" follows prefers-color-scheme. Cockpit 287 marks <html> pf-theme-dark,
     * later ones pf-v5-theme-dark: pmd.css keys its colours on either. */
    function applyTheme(style) {
        let stored = null;
        try {
            stored = window.localStorage.getItem("shell:style");
        } catch (e) {}
        const query = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
        const dark = M.darkTheme(style || stored, query && query.matches);
        for (const c of ["pf-theme-dark", "pf-v5-theme-dark"])
            document.documentElement.classList.toggle(c, dark);
    }
    window.addEventListener("storage", e => {
        if (e.key === "shell:style")
            applyTheme();
    });
    window.addEventListener("cockpit-style", e => applyTheme(e.detail && e.detail.style));
    if (window.matchMedia)
        window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => applyTheme());
    applyTheme();
    const client = cockpit.dbus("org.pmd.God1", { bus: "system" });
    const history = new M.History(300);

    const state = {
        apps: [],          // plain ListApps answer
        rows: [],          // one per instance (model.rowsFromApps)
        paths: new Map(),  // object path -> app name
        sortKey: "app",
        sortDesc: false,
        login: null,       // cockpit.user()
        managesAll: false,
        detail: null,      // name of the app whose page is open
        listing: false,
        relist: false,
        leased: false,     // Figures read once: pmd announces them for the next minute
        // What the user typed or picked in a row's scale box or signal list, by "scale:APP" /
        // "signal:APP": the table is rebuilt on every change pmd announces, and must not throw
        // away a number being typed.
        drafts: new Map(),
    };

    function el(tag, attrs, children) {
        const e = document.createElement(tag);
        for (const [k, v] of Object.entries(attrs || {})) {
            if (k === "class")
                e.className = v;
            else if (k === "text")
                e.textContent = v;
            else if (k.startsWith("on"))
                e.addEventListener(k.slice(2), v);
            else if (v !== undefined && v !== null && v !== false)
                e.setAttribute(k, v === true ? "" : v);
        }
        for (const c of children || [])
            e.append(c);
        return e;
    }

    function showError(what, ex) {
        // pmd's own words: the message of its org.pmd.God1.Error.* reply.
        const msg = ex && ex.message ? ex.message : String(ex);
        $("pmd-error-text").textContent = (what ? what + ": " : "") + msg;
        $("pmd-error").dataset.error = ex && ex.name ? ex.name : "";
        $("pmd-error").hidden = false;
    }

    function clearError() {
        $("pmd-error").hidden = true;
        $("pmd-error-text").textContent = "";
    }

    function call(method, args, type) {
        return client.call(ROOT_PATH, MANAGER, method, args, type ? { type } : {});
    }

    /* ---------------------------------------------------------------- the listing */

    function relist() {
        if (state.listing) {
            state.relist = true;  // one more after this one: never two in flight
            return;
        }
        state.listing = true;
        call("ListApps", [])
                .then(([apps]) => {
                    state.apps = M.plain(apps);
                    $("pmd-status").textContent = "";
                    render();
                    if (!state.leased)
                        renewFiguresLease();
                    if (state.detail)
                        refreshDetail();
                })
                .catch(ex => {
                    $("pmd-status").textContent = "pmd is not answering";
                    showError("Listing the apps failed", ex);
                })
                .finally(() => {
                    state.listing = false;
                    if (state.relist) {
                        state.relist = false;
                        relist();
                    }
                });
    }

    function shownApps() {
        const all = $("pmd-all").checked;
        return M.visibleApps(state.apps, state.login ? state.login.name : "", state.managesAll || all);
    }

    function render() {
        state.rows = M.rowsFromApps(shownApps());
        renderRows();
    }

    function renderRows() {
        const rows = M.sortRows(M.filterRows(state.rows, $("pmd-filter").value), state.sortKey, state.sortDesc);
        const body = $("pmd-rows");
        // The rebuilt row gets the focus back too, so typing goes on where it was.
        const focused = document.activeElement;
        const focusSelector = focused && body.contains(focused)
            ? (focused.dataset.scale !== undefined ? '[data-scale="' + CSS.escape(focused.dataset.scale) + '"]'
                : focused.dataset.signal !== undefined ? '[data-signal="' + CSS.escape(focused.dataset.signal) + '"]' : null)
            : null;
        body.replaceChildren();
        const seen = new Set();
        for (const r of rows) {
            const first = !seen.has(r.app);
            seen.add(r.app);
            body.append(rowElement(r, first));
        }
        if (focusSelector) {
            const again = body.querySelector(focusSelector);
            if (again) again.focus();
        }
        $("pmd-empty").hidden = state.rows.length !== 0;
        for (const th of document.querySelectorAll("th[data-sort]")) {
            th.classList.toggle("pmd-sorted", th.dataset.sort === state.sortKey);
            th.classList.toggle("pmd-desc", th.dataset.sort === state.sortKey && state.sortDesc);
        }
    }

    function cell(cls, text) {
        return el("td", { class: cls, text: text === undefined || text === null ? "" : String(text) });
    }

    function rowElement(r, first) {
        const tr = el("tr", {
            class: first ? "pmd-first" : "",
            "data-app": r.app,
            "data-instance": r.index === null ? "" : String(r.index),
            "data-state": r.state,
            "data-pid": String(r.pid || 0),
        });
        tr.append(el("td", { class: "app" }, [el("a", { text: r.app, "data-open": r.app, onclick: () => openDetail(r.app) })]));
        tr.append(cell("index", r.index === null ? "-" : r.index));
        tr.append(cell("user", r.user));
        tr.append(el("td", { class: "state pmd-state-" + r.state, text: r.state + (r.health ? " (" + r.health + ")" : "") }));
        tr.append(cell("ready", r.ready === null ? "-" : r.ready ? "yes" : "no"));
        tr.append(cell("pid", r.pid ? r.pid : "-"));
        tr.append(cell("restarts", r.restarts));
        tr.append(cell("uptime", r.state === "online" ? M.formatDuration(r.uptime_ms) : "-"));
        tr.append(cell("cpu", r.pid ? M.formatCpu(r.cpu_percent) : "-"));
        tr.append(cell("memory", r.pid ? M.formatBytes(r.memory_bytes) : "-"));
        tr.append(cell("last-exit", r.last_exit));
        tr.append(el("td", {}, first ? [actions(r)] : []));
        return tr;
    }

    function actionButton(app, action, label, run, cls) {
        return el("button", {
            type: "button", class: cls || "", "data-action": action, "data-app": app, text: label,
            onclick: ev => {
                const b = ev.currentTarget;
                b.disabled = true;
                clearError();
                Promise.resolve()
                        .then(run)
                        .catch(ex => showError(label + " " + app, ex))
                        .finally(() => { b.disabled = false; relist() });
            }
        });
    }

    function actions(r) {
        const name = r.app;
        const box = el("div", { class: "pmd-actions" });
        const running = r.appState !== "stopped" && r.appState !== "errored";
        if (running) {
            box.append(actionButton(name, "stop", "Stop", () => call("Stop", [name], "s")));
            box.append(actionButton(name, "restart", "Restart", () => call("Restart", [name], "s")));
            box.append(actionButton(name, "reload", "Reload", () => call("Reload", [name], "s")));
        } else {
            // pmctl start NAME of a stopped app: start it again.
            box.append(actionButton(name, "start", "Start", () => call("Restart", [name], "s")));
        }
        const app = state.apps.find(a => a.name === name);
        const scale = el("input", {
            type: "number", min: "0", "aria-label": "Instances of " + name, "data-scale": name,
            value: state.drafts.get("scale:" + name) ?? String(app && app.instances ? app.instances.length : 1)
        });
        scale.addEventListener("input", () => state.drafts.set("scale:" + name, scale.value));
        box.append(scale);
        box.append(actionButton(name, "scale", "Scale", () => {
            const n = Number(scale.value);
            if (!Number.isInteger(n) || n < 0)
                throw new Error("the number of instances must be a whole number (0 = one per CPU)");
            return call("Scale", [name, n], "su").then(answer => {
                state.drafts.delete("scale:" + name);
                return answer;
            });
        }));
        const sig = el("select", { "aria-label": "Signal for " + name, "data-signal": name });
        for (const [label, num] of [["SIGHUP", 1], ["SIGINT", 2], ["SIGUSR1", 10], ["SIGUSR2", 12], ["SIGTERM", 15], ["SIGKILL", 9]])
            sig.append(el("option", { value: String(num), text: label }));
        if (state.drafts.has("signal:" + name)) sig.value = state.drafts.get("signal:" + name);
        sig.addEventListener("change", () => state.drafts.set("signal:" + name, sig.value));
        box.append(sig);
        box.append(actionButton(name, "signal", "Signal", () => call("Signal", [name, Number(sig.value)], "si")));
        // Delete asks once more on the same button.
        // Armed in state.drafts, so a table rebuilt between the two clicks still asks only once.
        const armed = state.drafts.has("delete:" + name);
        const del = el("button", { type: "button", class: "pmd-danger", "data-action": "delete", "data-app": name,
                                   text: armed ? "Delete " + name + "?" : "Delete" });
        if (armed) del.dataset.armed = "1";
        del.addEventListener("click", () => {
            if (!state.drafts.has("delete:" + name)) {
                state.drafts.set("delete:" + name, "1");
                del.dataset.armed = "1";
                del.textContent = "Delete " + name + "?";
                return;
            }
            state.drafts.delete("delete:" + name);
            del.disabled = true;
            clearError();
            call("Delete", [name], "s")
                    .then(() => {
                        history.forget(name);
                        if (state.detail === name)
                            closeDetail();
                    })
                    .catch(ex => showError("Delete " + name, ex))
                    .finally(relist);
        });
        box.append(del);
        return box;
    }

    /* ---------------------------------------------------------------- live updates */

    function onFigures(app, figures) {
        const plainFigures = M.plain(figures);
        history.push(app, plainFigures, Date.now());
        M.applyFigures(state.rows, app, plainFigures);
        // Update the cells of this app in place (no re-render: the filter box keeps focus).
        for (const f of plainFigures) {
            const tr = document.querySelector('tr[data-app="' + CSS.escape(app) + '"][data-instance="' + f.index + '"]');
            if (!tr)
                continue;
            const running = f.pid > 0;
            tr.querySelector(".cpu").textContent = running ? M.formatCpu(f.cpu_percent) : "-";
            tr.querySelector(".memory").textContent = running ? M.formatBytes(f.memory_bytes) : "-";
            tr.querySelector(".uptime").textContent = f.state === "online" ? M.formatDuration(f.uptime_ms) : "-";
        }
        if (state.detail === app)
            drawPlots();
    }

    function subscribe() {
        for (const member of ["AppAdded", "AppRemoved", "InstanceExited"])
            client.subscribe({ interface: MANAGER, member }, relist);
        client.subscribe({ interface: PROPS, member: "PropertiesChanged", path_namespace: ROOT_PATH + "/app" },
                         (path, iface, signal, args) => {
                             const [changedIface, changed, invalidated] = args;
                             if (changedIface !== APP)
                                 return;
                             const name = state.paths.get(path) || appNameOf(path);
                             const keys = Object.keys(changed || {}).concat(invalidated || []);
                             if (changed && changed.Figures && name)
                                 onFigures(name, changed.Figures.v);
                             if (keys.some(k => k !== "Figures" && k !== "DroppedLines"))
                                 relist();
                         });
    }

    function appNameOf(path) {
        // sd_bus_path_encode: "_" followed by two hex digits for every other character.
        const enc = path.slice((ROOT_PATH + "/app/").length);
        const name = enc.replace(/_([0-9a-f]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16)));
        state.paths.set(path, name);
        return name;
    }

    /* pmd announces Figures for a minute after any client reads them: read one app's. */
    function renewFiguresLease() {
        const app = state.apps.find(a => (a.instances || []).length);
        if (!app)
            return;
        state.leased = true;
        client.call(ROOT_PATH + "/app/" + encodePath(app.name), PROPS, "Get", [APP, "Figures"], { type: "ss" })
                .then(([v]) => onFigures(app.name, v.v))
                .catch(() => {});
    }

    function encodePath(name) {
        let out = "";
        for (const b of new TextEncoder().encode(name)) {
            const c = String.fromCharCode(b);
            out += /[A-Za-z0-9]/.test(c) ? c : "_" + b.toString(16).padStart(2, "0");
        }
        return out;
    }

    /* ---------------------------------------------------------------- the app's page */

    let logProcs = [];

    function stopLogs() {
        for (const p of logProcs)
            p.close("terminated");
        logProcs = [];
    }

    function openDetail(name) {
        state.detail = name;
        cockpit.location.go([name]);
        $("pmd-detail").hidden = false;
        $("pmd-detail-title").textContent = name;
        $("pmd-detail").dataset.app = name;
        refreshDetail();
        startLogs(name);
        drawPlots();
        $("pmd-detail").scrollIntoView();
    }

    function closeDetail() {
        state.detail = null;
        stopLogs();
        $("pmd-detail").hidden = true;
        cockpit.location.go([]);
    }

    function fact(dl, label, value) {
        dl.append(el("dt", { text: label }), el("dd", { text: value === undefined || value === "" ? "-" : String(value) }));
    }

    function refreshDetail() {
        const name = state.detail;
        call("DescribeApp", [name], "s")
                .then(([props]) => {
                    if (state.detail !== name)
                        return;
                    const p = M.plain(props);
                    const spec = p.Spec || {};
                    const dl = $("pmd-detail-facts");
                    dl.replaceChildren();
                    fact(dl, "State", p.State);
                    fact(dl, "User", p.User);
                    fact(dl, "Restarts", p.Restarts);
                    fact(dl, "Cgroup", p.CgroupPath);
                    fact(dl, "Figures from", p.StatsSource);
                    for (const k of ["memory_max", "cpu_max", "pids_max", "max_memory_restart", "kill_timeout", "max_restarts"])
                        if (spec[k] !== undefined)
                            fact(dl, k, spec[k]);
                    if (spec.health_check)
                        fact(dl, "Health check", JSON.stringify(spec.health_check));
                    for (const inst of p.Instances || [])
                        if (inst.health)
                            fact(dl, "Health #" + inst.index, inst.health + (inst.health_result ? " (" + inst.health_result + ")" : ""));
                    fact(dl, "Next cron restart", p.NextCronRestart ? new Date(p.NextCronRestart / 1000).toLocaleString() : "");
                    fact(dl, "Log sinks", (p.LogSinks || []).join(", "));
                    for (const w of p.Warnings || [])
                        fact(dl, "Warning", w);
                    $("pmd-detail-spec").textContent = JSON.stringify(spec, null, 2);
                    $("pmd-detail").dataset.logFiles = JSON.stringify(p.LogFiles || []);
                })
                .catch(ex => showError("Describing " + name, ex));
    }

    function logPane(title, stderr, download) {
        const pre = el("pre", { class: stderr ? "pmd-stderr" : "", "data-stream": stderr ? "err" : "out" });
        const head = el("div", { class: "pmd-bar" }, [el("h3", { text: title }), el("span", { class: "pmd-spacer" })]);
        const note = el("small", { class: "pmd-muted pmd-download-note" });
        if (download) {
            head.append(note, el("button", {
                type: "button", text: "Download", "data-download": stderr ? "err" : "out",
                title: "The whole log file if you may read it; otherwise the last lines pmd keeps of it " +
                    "(at most 500 lines, 64 KiB)",
                onclick: () => download(note)
            }));
        }
        return { box: el("div", { class: "pmd-log" }, [head, pre]), pre };
    }

    /* Log files are read with the login's rights, or root's when the login has turned on
     * Cockpit's administrative access (superuser "try"). */
    function follow(argv, pre) {
        const proc = cockpit.spawn(argv, { err: "message", superuser: "try" });
        proc.stream(data => {
            const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
            pre.append(document.createTextNode(data));
            // Keep the last 2000 lines in the page.
            while (pre.childNodes.length > 2000)
                pre.removeChild(pre.firstChild);
            if (atBottom)
                pre.scrollTop = pre.scrollHeight;
        });
        proc.catch(ex => {
            if (ex.problem !== "cancelled" && ex.problem !== "terminated")
                pre.append(document.createTextNode("\n[" + (ex.message || ex.problem) + "]\n"));
        });
        logProcs.push(proc);
    }

    function saveAs(fileName, data) {
        const blob = new Blob([data || new Uint8Array()], { type: "text/plain" });
        const a = el("a", { href: URL.createObjectURL(blob), download: fileName });
        document.body.append(a);
        a.click();
        a.remove();
    }

    function downloadFile(path) {
        cockpit.file(path, { binary: true, max_read_size: 256 * 1024 * 1024, superuser: "try" }).read()
                .then(data => saveAs(path.split("/").pop(), data))
                .catch(ex => showError("Downloading " + path, ex));
    }

    /* A log file of LogFiles ([stream, instance, path]): the file itself with the login's rights
     * (root's under administrative access), or, when the login may not read it (/var/log/pmd is
     * not an unprivileged owner's), what pmd keeps of that stream (App.Logs, which pmd allows
     * whoever may read the app's logs), under the file's name; `note` then says so. */
    function downloadLog(appPath, file, note) {
        const [stream, instance, path] = file;
        const fileName = path.split("/").pop();
        cockpit.file(path, { binary: true, max_read_size: 256 * 1024 * 1024, superuser: "try" }).read()
                .then(data => {
                    note.textContent = "";
                    delete note.dataset.kept;
                    saveAs(fileName, data);
                })
                .catch(fileEx => client.call(appPath, APP, "Logs", [stream === "both" ? "" : stream, 0])
                        .then(([lines]) => {
                            const kept = M.logFileText(lines, stream, instance);
                            note.textContent = "downloaded the last " + kept.lines + " lines pmd keeps (the file is not yours to read)";
                            note.dataset.kept = String(kept.lines);
                            saveAs(fileName, new TextEncoder().encode(kept.text));
                        })
                        .catch(() => showError("Downloading " + path, fileEx)));
    }

    /* The panes show what pmd keeps of the app's output (App.Logs) and what it sends this
     * client alone as it comes (WatchLogs, then LogLines to our unique name): an unprivileged
     * owner sees their app's lines though the log files are not theirs to read. A pmd without
     * Logs gets the old way: tail or journalctl with the login's rights. */
    const LOG_LINES_SHOWN = 2000;

    function appendLines(pre, lines) {
        if (!lines.length)
            return;
        const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
        pre.append(...lines.map(l => document.createTextNode(l.text + "\n")));
        while (pre.childNodes.length > LOG_LINES_SHOWN)
            pre.removeChild(pre.firstChild);
        if (atBottom)
            pre.scrollTop = pre.scrollHeight;
    }

    function startLogs(name) {
        stopLogs();
        const box = $("pmd-logs");
        box.replaceChildren();
        const path = ROOT_PATH + "/app/" + encodePath(name);
        client.call(path, PROPS, "GetAll", [APP], { type: "s" })
                .then(([props]) => {
                    const p = M.plain(props);
                    const files = p.LogFiles || [];
                    const fileOf = stream => files.find(f => f[0] === stream || f[0] === "both");
                    const download = stream => fileOf(stream) ? note => downloadLog(path, fileOf(stream), note) : null;
                    const out = logPane("stdout", false, download("out"));
                    const err = logPane("stderr", true, download("err"));
                    box.append(out.box, err.box);
                    watchLogs(name, path, out.pre, err.pre, () => {
                        box.replaceChildren();
                        followFiles(name, p, box);
                    });
                })
                .catch(ex => showError("Reading the logs of " + name, ex));
    }

    function watchLogs(name, path, outPre, errPre, fallback) {
        const feed = { lastSeq: 0, ready: false, early: [], timer: null, sub: null };
        const show = lines => {
            const split = M.splitLogLines(lines, feed.lastSeq);
            feed.lastSeq = split.lastSeq;
            appendLines(outPre, split.out);
            appendLines(errPre, split.err);
        };
        feed.sub = client.subscribe({ path, interface: APP, member: "LogLines" }, (p, iface, signal, args) => {
            if (state.detail !== name)
                return;
            if (feed.ready)
                show(args[0]);
            else
                feed.early.push(args[0]);
            if (args[1])
                errPre.dataset.skipped = String(Number(errPre.dataset.skipped || 0) + Number(args[1]));
        });
        const lease = () => client.call(path, APP, "WatchLogs", []);
        const stop = () => {
            if (feed.sub)
                feed.sub.remove();
            if (feed.timer)
                window.clearInterval(feed.timer);
            client.call(path, APP, "UnwatchLogs", []).catch(() => {});
        };
        logProcs.push({ close: stop });
        lease()
                .then(() => client.call(path, APP, "Logs", ["", 0]))
                .then(([lines]) => {
                    show(lines);
                    feed.ready = true;
                    for (const l of feed.early)
                        show(l);
                    feed.early = [];
                    outPre.dataset.live = "1";
                    feed.timer = window.setInterval(() => lease().catch(() => {}), LEASE_RENEW_MS);
                })
                .catch(ex => {
                    stop();
                    if (ex.name === "org.freedesktop.DBus.Error.UnknownMethod")
                        fallback();
                    else
                        showError("Reading the logs of " + name, ex);
                });
    }

    function followFiles(name, p, box) {
        const files = p.LogFiles || [];
        if (files.length) {
            // (stream, instance, path); "both" when stdout and stderr are merged.
            for (const [stream, instance, path] of files) {
                const title = (stream === "err" ? "stderr" : stream === "both" ? "stdout + stderr" : "stdout") +
                    (instance >= 0 ? " #" + instance : "") + " — " + path;
                const pane = logPane(title, stream === "err", () => downloadFile(path));
                box.append(pane.box);
                // --follow=name without --retry: a file the login may not read is
                // an error shown in the pane, not a silent wait; rotation is followed.
                follow(["tail", "-n", "200", "--follow=name", path], pane.pre);
            }
        } else if ((p.LogSinks || []).includes("journal")) {
            // Journal fields of pmd: PMD_APP, PRIORITY 3 for stderr, 6 for stdout.
            const out = logPane("stdout (journal)", false, null);
            const err = logPane("stderr (journal)", true, null);
            box.append(out.box, err.box);
            follow(["journalctl", "-f", "-n", "200", "-o", "cat", "PMD_APP=" + name, "PRIORITY=6"], out.pre);
            follow(["journalctl", "-f", "-n", "200", "-o", "cat", "PMD_APP=" + name, "PRIORITY=3"], err.pre);
        } else {
            box.append(el("p", { class: "pmd-muted", text: "This app's output is not kept." }));
        }
    }

    function drawPlots() {
        const name = state.detail;
        const box = $("pmd-plots");
        const app = state.apps.find(a => a.name === name);
        const indexes = app ? (app.instances || []).map(i => i.index) : [];
        if (box.dataset.for !== name + ":" + indexes.join(",")) {
            box.replaceChildren();
            box.dataset.for = name + ":" + indexes.join(",");
            for (const i of indexes) {
                box.append(el("canvas", { class: "pmd-plot", width: "420", height: "70", "data-instance": String(i) }));
                box.append(el("div", { class: "pmd-plot-legend", "data-legend": String(i) }));
            }
        }
        for (const i of indexes) {
            const canvas = box.querySelector('canvas[data-instance="' + i + '"]');
            const samples = history.get(name, i);
            plot(canvas, samples);
            const last = samples[samples.length - 1];
            box.querySelector('[data-legend="' + i + '"]').textContent =
                "#" + i + ": CPU (blue) " + (last ? M.formatCpu(last.cpu) : "-") +
                ", memory (green) " + (last ? M.formatBytes(last.mem) : "-") + ", " + samples.length + " samples";
        }
    }

    function plot(canvas, samples) {
        const ctx = canvas.getContext("2d");
        const w = canvas.width, h = canvas.height;
        ctx.clearRect(0, 0, w, h);
        if (samples.length < 2)
            return;
        const now = Date.now(), span = history.seconds * 1000;
        const x = t => w - ((now - t) / span) * w;
        const line = (values, max, color) => {
            ctx.strokeStyle = color;
            ctx.lineWidth = 1.5;
            ctx.beginPath();
            samples.forEach((s, k) => {
                const y = h - 2 - (values(s) / (max || 1)) * (h - 4);
                if (k === 0)
                    ctx.moveTo(x(s.t), y);
                else
                    ctx.lineTo(x(s.t), y);
            });
            ctx.stroke();
        };
        const maxCpu = Math.max(100, ...samples.map(s => s.cpu));
        const maxMem = Math.max(1, ...samples.map(s => s.mem)) * 1.1;
        line(s => s.cpu, maxCpu, "#06c");
        line(s => s.mem, maxMem, "#3e8635");
    }

    /* ---------------------------------------------------------------- add and import */

    function formValues(form) {
        const f = {};
        for (const e of form.elements)
            if (e.name)
                f[e.name] = e.type === "checkbox" ? e.checked : e.value;
        return f;
    }

    function onAdd(ev) {
        ev.preventDefault();
        clearError();
        let spec;
        try {
            spec = M.specFromForm(formValues(ev.target));
        } catch (ex) {
            showError("Add app", ex);
            return;
        }
        if (!spec.cwd && state.login && state.login.home)
            spec.cwd = { t: "s", v: state.login.home };
        call("StartApp", [spec], "a{sv}")
                .then(() => { ev.target.reset(); relist() })
                .catch(ex => showError("Starting the app", ex));
    }

    /* The file goes to the user's own directory (pmd reads it there: a user may name a file
     * they own); a PM2 ecosystem file is converted to TOML with pmctl import first. */
    function onImport(ev) {
        const file = ev.target.files[0];
        if (!file)
            return;
        clearError();
        const kind = M.importKind(file.name);
        if (!kind) {
            showError("Import", new Error("'" + file.name + "' is neither an app file (.toml) nor a PM2 ecosystem file (.js, .json, .yml)"));
            return;
        }
        const dir = (state.login && state.login.home ? state.login.home : "/tmp") + "/.local/share/pmd-cockpit";
        const stamp = Date.now();
        const base = dir + "/import-" + stamp;
        const source = base + "-" + file.name.replace(/[^A-Za-z0-9._-]/g, "_");
        file.text()
                .then(text => cockpit.spawn(["mkdir", "-p", dir]).then(() => cockpit.file(source).replace(text)))
                .then(() => {
                    if (kind === "toml")
                        return source;
                    return cockpit.spawn(["pmctl", "import", source], { err: "message" })
                            .then(toml => cockpit.file(base + ".toml").replace(toml))
                            .then(() => base + ".toml");
                })
                .then(path => call("StartFile", [path, "", []], "ssas"))
                .then(() => { ev.target.value = ""; relist() })
                .catch(ex => showError("Importing " + file.name, ex));
    }

    /* ---------------------------------------------------------------- start */

    function init() {
        $("pmd-error-close").addEventListener("click", clearError);
        $("pmd-filter").addEventListener("input", renderRows);
        $("pmd-all").addEventListener("change", render);
        $("pmd-add-toggle").addEventListener("click", () => { $("pmd-add").hidden = !$("pmd-add").hidden });
        $("pmd-add-form").addEventListener("submit", onAdd);
        $("pmd-import").addEventListener("change", onImport);
        $("pmd-detail-close").addEventListener("click", closeDetail);
        for (const th of document.querySelectorAll("th[data-sort]")) {
            th.addEventListener("click", () => {
                if (state.sortKey === th.dataset.sort)
                    state.sortDesc = !state.sortDesc;
                else {
                    state.sortKey = th.dataset.sort;
                    state.sortDesc = false;
                }
                renderRows();
            });
        }
        subscribe();
        Promise.all([
            cockpit.user(),
            cockpit.file("/etc/pmd.toml").read().catch(() => ""),
        ]).then(([user, toml]) => {
            state.login = user;
            state.managesAll = M.managesAll(user, toml);
            // Others may still look at every app (pmd shows them to everyone).
            $("pmd-all-label").hidden = state.managesAll;
            document.body.dataset.managesAll = state.managesAll ? "1" : "0";
            relist();
            const path = cockpit.location.path;
            if (path.length)
                openDetail(path[0]);
        });
        window.setInterval(renewFiguresLease, LEASE_RENEW_MS);
        client.addEventListener("close", (ev, options) => {
            $("pmd-status").textContent = "disconnected from pmd" + (options && options.problem ? " (" + options.problem + ")" : "");
        });
        client.addEventListener("owner", (ev, owner) => {
            // pmd came (back): its apps may all be new.
            if (owner)
                relist();
            else
                $("pmd-status").textContent = "pmd is not running";
        });
    }

    document.addEventListener("DOMContentLoaded", init);
})();
