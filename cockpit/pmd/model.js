/* What the page computes from pmd's answers, without the DOM or the bus: unwrapping D-Bus
 * variants as cockpit.dbus() gives them, one table row per instance, sorting, filtering,
 * formatting, the figures history behind the plots, and the StartApp spec of the "add app"
 * form. Kept apart so that it is checked by tests/cockpit/model_test.js under node. */
(function (root) {
    "use strict";

    /* cockpit.dbus() gives a variant as {t: signature, v: value}, and a{sv} as an object of
     * such variants; nested listings (instances) are variants of arrays of dictionaries. */
    function isVariant(x) {
        return x !== null && typeof x === "object" && !Array.isArray(x) &&
            typeof x.t === "string" && "v" in x && Object.keys(x).length === 2;
    }

    function plain(x) {
        if (isVariant(x))
            return plain(x.v);
        if (Array.isArray(x))
            return x.map(plain);
        if (x !== null && typeof x === "object") {
            const out = {};
            for (const k of Object.keys(x))
                out[k] = plain(x[k]);
            return out;
        }
        return x;
    }

    function lastExit(inst) {
        if (inst.last_exit)
            return inst.last_exit;
        if (!inst.last_exit_reason)
            return "";
        return inst.last_exit_reason + " " + (inst.last_exit_code !== undefined ? inst.last_exit_code : "");
    }

    /* One row per instance; a stopped app (no instances) is one row without an index, so it
     * stays in the table with its Start button. */
    function rowsFromApps(apps) {
        const rows = [];
        for (const app of apps) {
            const instances = app.instances || [];
            const base = { app: app.name, user: app.user || "", appState: app.state, owner: app.owner };
            if (instances.length === 0) {
                rows.push(Object.assign({}, base, {
                    index: null, state: app.state, ready: null, pid: 0, restarts: app.restarts || 0,
                    uptime_ms: 0, cpu_percent: 0, memory_bytes: 0, last_exit: "", health: ""
                }));
                continue;
            }
            for (const inst of instances) {
                rows.push(Object.assign({}, base, {
                    index: inst.index,
                    state: inst.state,
                    ready: inst.ready === undefined ? null : inst.ready,
                    pid: inst.pid || 0,
                    restarts: inst.restarts || 0,
                    uptime_ms: inst.uptime_ms || 0,
                    cpu_percent: inst.cpu_percent || 0,
                    memory_bytes: inst.memory_bytes || 0,
                    last_exit: lastExit(inst),
                    health: inst.health || ""
                }));
            }
        }
        return rows;
    }

    /* Figures (1 Hz) carry cpu, memory, uptime, pid, state and restarts of each instance:
     * folded into the rows without asking pmd for the whole listing. */
    function applyFigures(rows, app, figures) {
        const byIndex = new Map(figures.map(f => [f.index, f]));
        for (const row of rows) {
            if (row.app !== app || row.index === null)
                continue;
            const f = byIndex.get(row.index);
            if (!f)
                continue;
            for (const k of ["state", "pid", "cpu_percent", "memory_bytes", "restarts", "uptime_ms"])
                if (f[k] !== undefined)
                    row[k] = f[k];
        }
        return rows;
    }

    const numeric = new Set(["index", "pid", "restarts", "uptime_ms", "cpu_percent", "memory_bytes"]);

    /* Sorted by key; rows of one app stay in instance order when the key is the app. */
    function sortRows(rows, key, descending) {
        const dir = descending ? -1 : 1;
        const cmp = (a, b) => {
            let x = a[key], y = b[key];
            if (numeric.has(key)) {
                x = x === null ? -1 : Number(x);
                y = y === null ? -1 : Number(y);
                if (x !== y)
                    return (x - y) * dir;
            } else {
                x = String(x === null || x === undefined ? "" : x);
                y = String(y === null || y === undefined ? "" : y);
                const c = x.localeCompare(y);
                if (c !== 0)
                    return c * dir;
            }
            if (a.app !== b.app)
                return a.app.localeCompare(b.app);
            return (a.index === null ? -1 : a.index) - (b.index === null ? -1 : b.index);
        };
        return rows.slice().sort(cmp);
    }

    /* The filter box: every word must appear in the app name, user, state, pid or last exit. */
    function filterRows(rows, text) {
        const words = String(text || "").toLowerCase().split(/\s+/).filter(w => w);
        if (words.length === 0)
            return rows;
        return rows.filter(r => {
            const hay = [r.app, r.user, r.state, String(r.pid), r.last_exit].join(" ").toLowerCase();
            return words.every(w => hay.includes(w));
        });
    }

    /* pmd lets everyone read every app, but a user manages only the apps that run as them:
     * unless the login may manage every app, the table shows only those. */
    function visibleApps(apps, login, managesAll) {
        if (managesAll)
            return apps;
        return apps.filter(a => a.user === login);
    }

    /* Whether the login may manage every app the way pmd decides it without polkit: root, or
     * a member of pmd's admin group (admin_group in /etc/pmd.toml, "pmd" by default). */
    function adminGroupOf(pmdToml) {
        const m = /^\s*admin_group\s*=\s*"([^"]*)"/m.exec(pmdToml || "");
        return m ? m[1] : "pmd";
    }

    function managesAll(user, pmdToml) {
        if (!user)
            return false;
        if (user.name === "root" || user.id === 0)
            return true;
        const group = adminGroupOf(pmdToml);
        return group !== "" && (user.groups || []).includes(group);
    }

    function formatBytes(n) {
        n = Number(n) || 0;
        const units = ["B", "KiB", "MiB", "GiB", "TiB"];
        let i = 0;
        while (n >= 1024 && i < units.length - 1) {
            n /= 1024;
            i++;
        }
        return (i === 0 ? String(n) : n.toFixed(n < 10 ? 1 : 0)) + " " + units[i];
    }

    function formatDuration(ms) {
        let s = Math.floor((Number(ms) || 0) / 1000);
        if (s <= 0)
            return "-";
        const d = Math.floor(s / 86400);
        s %= 86400;
        const h = Math.floor(s / 3600);
        s %= 3600;
        const m = Math.floor(s / 60);
        s %= 60;
        if (d > 0)
            return d + "d " + h + "h";
        if (h > 0)
            return h + "h " + m + "m";
        if (m > 0)
            return m + "m " + s + "s";
        return s + "s";
    }

    function formatCpu(p) {
        return (Number(p) || 0).toFixed(1) + " %";
    }

    /* The last few minutes of figures per instance, for the plots; samples older than
     * `seconds` fall off. */
    class History {
        constructor(seconds) {
            this.seconds = seconds || 300;
            this.series = new Map(); // "app/index" -> [{t, cpu, mem}]
        }

        push(app, figures, nowMs) {
            for (const f of figures) {
                const key = app + "/" + f.index;
                let s = this.series.get(key);
                if (!s) {
                    s = [];
                    this.series.set(key, s);
                }
                s.push({ t: nowMs, cpu: Number(f.cpu_percent) || 0, mem: Number(f.memory_bytes) || 0 });
                const oldest = nowMs - this.seconds * 1000;
                while (s.length && s[0].t < oldest)
                    s.shift();
            }
        }

        get(app, index) {
            return this.series.get(app + "/" + index) || [];
        }

        forget(app) {
            for (const k of Array.from(this.series.keys()))
                if (k.startsWith(app + "/"))
                    this.series.delete(k);
        }
    }

    /* The "add app" form as StartApp's a{sv} (cockpit.dbus variants). The command goes as a
     * string: pmd splits it as a shell would, as it does for an app file. */
    function specFromForm(form) {
        const spec = {};
        const name = String(form.name || "").trim();
        const command = String(form.command || "").trim();
        if (!command)
            throw new Error("the command is empty: say what to run, e.g. /usr/bin/python3 -m http.server 8000");
        if (name)
            spec.name = { t: "s", v: name };
        spec.command = { t: "s", v: command };
        if (String(form.instances || "").trim() !== "") {
            const v = String(form.instances).trim();
            if (v === "max")
                spec.instances = { t: "s", v: "max" };
            else if (/^\d+$/.test(v))
                spec.instances = { t: "u", v: Number(v) };
            else
                throw new Error("instances must be a number or \"max\", not '" + v + "'");
        }
        if (String(form.cwd || "").trim())
            spec.cwd = { t: "s", v: String(form.cwd).trim() };
        const env = {};
        for (const line of String(form.env || "").split("\n")) {
            const l = line.trim();
            if (!l)
                continue;
            const eq = l.indexOf("=");
            if (eq <= 0)
                throw new Error("environment line '" + l + "' is not NAME=value");
            env[l.slice(0, eq)] = l.slice(eq + 1);
        }
        if (Object.keys(env).length)
            spec.env = { t: "a{ss}", v: env };
        if (String(form.max_memory_restart || "").trim())
            spec.max_memory_restart = { t: "s", v: String(form.max_memory_restart).trim() };
        if (form.autorestart === false)
            spec.autorestart = { t: "b", v: false };
        return spec;
    }

    /* How an imported file is read: an app file as it is, PM2's ecosystem files through
     * `pmctl import`. */
    function importKind(fileName) {
        const f = String(fileName).toLowerCase();
        if (f.endsWith(".toml"))
            return "toml";
        if (/\.(js|cjs|mjs|json|ya?ml)$/.test(f))
            return "pm2";
        return null;
    }

    /* App.Logs and the LogLines signal give lines as [time_usec, seq, instance, stream, text];
     * seq numbers an app's lines over both streams. What a pane adds is the lines after the last
     * one it shows: a LogLines that crossed the Logs answer on the bus adds nothing twice. */
    function splitLogLines(lines, afterSeq) {
        const out = { out: [], err: [], lastSeq: afterSeq || 0 };
        for (const [, seq, instance, stream, text] of lines || []) {
            if (seq <= out.lastSeq)
                continue;
            out.lastSeq = seq;
            (stream === "err" ? out.err : out.out).push({ instance, text });
        }
        return out;
    }

    /* A log file as pmd keeps its end (App.Logs "a(ttuss)"), for a login that may not read the
     * file itself: the lines of one file's stream ("out", "err", or "both" for a file stdout and
     * stderr share) and instance (-1: every instance's, as a merge_logs file holds), oldest
     * first, one line per entry, text only (no log_date_format prefix: pmd keeps the text). */
    function logFileText(lines, stream, instance) {
        const kept = [];
        for (const [, seq, inst, s, text] of lines || [])
            if ((stream === "both" || s === stream) && (instance === undefined || instance < 0 || inst === instance))
                kept.push([seq, text]);
        kept.sort((a, b) => a[0] - b[0]);
        return { text: kept.map(k => k[1] + "\n").join(""), lines: kept.length };
    }

    /* Cockpit's theme choice as its shell keeps it (localStorage "shell:style": "auto", "light"
     * or "dark"; absent = auto) and whether the system prefers dark: is the page dark? */
    function darkTheme(style, prefersDark) {
        const s = style || "auto";
        return s === "dark" || (s === "auto" && !!prefersDark);
    }

    /* WCAG contrast ratio of two colours given as CSS "rgb(r, g, b)" / "rgba(...)" strings
     * (what getComputedStyle returns): the browser test checks the dark theme is readable. */
    function contrastRatio(a, b) {
        const lum = c => {
            const [r, g, bl] = String(c).match(/[\d.]+/g).slice(0, 3).map(Number).map(v => {
                const x = v / 255;
                return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
            });
            return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
        };
        const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
        return (hi + 0.05) / (lo + 0.05);
    }

    const api = {
        plain, rowsFromApps, applyFigures, sortRows, filterRows, visibleApps, managesAll, adminGroupOf,
        formatBytes, formatDuration, formatCpu, History, specFromForm, importKind, lastExit,
        splitLogLines, logFileText, darkTheme, contrastRatio
    };
    if (typeof module !== "undefined" && module.exports)
        module.exports = api;
    else
        root.pmdModel = api;
})(this);
