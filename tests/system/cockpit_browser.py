#!/usr/bin/python3
"""Drives the Cockpit page of pmd in headless Chromium (Selenium + chromedriver), for
tests/system/cockpit-e2e.sh: logs in to cockpit-ws as a user, opens "Processes (pmd)" from
Cockpit's menu and plays one scenario. Every wait is for a condition with a deadline; pmctl
runs in the container through the --cx helper (nsenter). Exits 0 when the scenario holds,
1 with what was seen when it does not.

  cockpit_browser.py --url https://127.0.0.1:PORT --cx HELPER --user U --password P
                     --scenario admin|detail|user|many|dark [--shots DIR]

--shots DIR saves screenshots of what the scenario showed (the wide table, the same table in a
narrow window, the app's page, the unprivileged view) for README and for a human to look at.
The "many" scenario times how long the page takes to show 100 apps once opened; "dark" logs
in with Cockpit's dark theme chosen (localStorage "shell:style", as Cockpit's own switch sets
it) and checks the page follows it with readable text (contrast of computed colours).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

DEADLINE = 30  # seconds for any one condition


class Failure(Exception):
    pass


def step(msg):
    print("  - " + msg, flush=True)


class Page:
    def __init__(self, args):
        self.args = args
        self.profile = tempfile.mkdtemp(prefix="pmd-chromium-")
        opts = webdriver.ChromeOptions()
        for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-first-run", "--ignore-certificate-errors", "--window-size=1600,1200",
                  "--user-data-dir=" + self.profile]:
            opts.add_argument(a)
        # Downloads (the log panes' Download buttons) land here without a prompt.
        self.downloads = os.path.join(self.profile, "downloads")
        os.makedirs(self.downloads)
        # The page saves a file after a D-Bus or file read, not within the click itself: a second
        # such download would wait for a "download multiple files?" answer without the last pref.
        opts.add_experimental_option("prefs", {"download.default_directory": self.downloads,
                                               "download.prompt_for_download": False,
                                               "profile.default_content_setting_values.automatic_downloads": 1})
        opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
        self.d = webdriver.Chrome(service=service, options=opts)
        self.d.set_page_load_timeout(60)
        # Headless Chromium may ignore the profile's download prefs; CDP sets it for the browser.
        self.d.execute_cdp_cmd("Browser.setDownloadBehavior",
                               {"behavior": "allow", "downloadPath": self.downloads})

    def close(self):
        try:
            self.d.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def wait(self, what, cond, timeout=DEADLINE):
        last = [None]

        def probe(_):
            try:
                v = cond()
                last[0] = v
                return v
            except (StaleElementReferenceException, WebDriverException):
                return False
        try:
            return WebDriverWait(self.d, timeout, poll_frequency=0.2).until(probe)
        except Exception:
            raise Failure("timed out after %ss waiting for %s (last: %r); page error: %r"
                          % (timeout, what, last[0], self.error_text()))

    def error_text(self):
        try:
            e = self.d.find_element(By.ID, "pmd-error")
            return e.text if e.is_displayed() else ""
        except WebDriverException:
            return None

    def login(self, style=None):
        self.d.get(self.args.url + "/")
        self.wait("the login form", lambda: self.d.find_element(By.ID, "login-user-input").is_displayed())
        if style:
            # What Cockpit's own theme switch stores; the shell and its pages share the origin.
            self.d.execute_script("localStorage.setItem('shell:style', arguments[0]);", style)
        self.d.find_element(By.ID, "login-user-input").send_keys(self.args.user)
        self.d.find_element(By.ID, "login-password-input").send_keys(self.args.password)
        self.d.find_element(By.ID, "login-button").click()
        step("logged in as " + self.args.user)

    def open_from_menu(self):
        link = self.wait('"Processes (pmd)" in Cockpit\'s menu', lambda: next(
            (a for a in self.d.find_elements(By.CSS_SELECTOR, "a") if a.text.strip() == "Processes (pmd)"), None), 60)
        self.opened_at = time.monotonic()
        link.click()
        frame = self.wait("the page's frame", lambda: self.d.find_element(By.CSS_SELECTOR, "iframe[name$='/pmd']"))
        self.d.switch_to.frame(frame)
        self.wait("the page's table", lambda: self.d.find_element(By.ID, "pmd-table"))
        self.table_at = time.monotonic()
        step("opened Processes (pmd) from the menu")

    def shot(self, name, width=None):
        """Saves DIR/NAME.png when --shots was given; width narrows the window for it."""
        if not self.args.shots:
            return
        os.makedirs(self.args.shots, exist_ok=True)
        if width:
            self.d.set_window_size(width, 1000)
        path = os.path.join(self.args.shots, name + ".png")
        self.d.save_screenshot(path)
        if width:
            self.d.set_window_size(1600, 1200)
        step("screenshot " + path)

    def rows(self):
        out = []
        for tr in self.d.find_elements(By.CSS_SELECTOR, "#pmd-rows tr"):
            out.append({"app": tr.get_attribute("data-app"), "instance": tr.get_attribute("data-instance"),
                        "state": tr.get_attribute("data-state"), "pid": int(tr.get_attribute("data-pid") or 0),
                        "restarts": tr.find_element(By.CSS_SELECTOR, ".restarts").text})
        return out

    def row(self, app, instance=""):
        for r in self.rows():
            if r["app"] == app and r["instance"] == str(instance):
                return r
        return None

    def download(self, stream, name):
        """Clicks the Download button of the app page's `stream` pane; returns the text of the
        file Chromium saved as `name` and the pane's note (empty when the file itself came)."""
        target = os.path.join(self.downloads, name)
        if os.path.exists(target):
            os.unlink(target)
        self.d.find_element(By.CSS_SELECTOR, 'button[data-download="%s"]' % stream).click()
        # Chromium writes NAME.crdownload and renames it NAME when the download is complete.
        self.wait("%s in Chromium's download directory" % name, lambda: os.path.exists(target))
        with open(target, encoding="utf-8") as f:
            text = f.read()
        note = self.d.find_element(By.CSS_SELECTOR, 'button[data-download="%s"]' % stream) \
            .find_element(By.XPATH, "preceding-sibling::small")
        return text, note

    def click(self, action, app):
        # The table is rebuilt on every change pmd announces: a button found just before a
        # rebuild is detached when clicked, so find it again and click the live one.
        def press():
            try:
                self.d.find_element(By.CSS_SELECTOR, 'button[data-action="%s"][data-app="%s"]' % (action, app)).click()
                return True
            except StaleElementReferenceException:
                return False
        self.wait("the %s button of %s" % (action, app), press)


def luminance(rgb):
    def channel(v):
        x = v / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4
    r, g, b = (float(v) for v in rgb.replace("rgba(", "").replace("rgb(", "").rstrip(")").split(",")[:3])
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a, b):
    hi, lo = sorted([luminance(a), luminance(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# The colour of each element's text and of the first ancestor that paints a background.
COLOURS_JS = """
return Array.from(document.querySelectorAll(arguments[0]), e => {
    let bg = e, c = 'rgba(0, 0, 0, 0)';
    while (bg) {
        c = getComputedStyle(bg).backgroundColor;
        if (!/rgba\(.*, 0\)$/.test(c) && c !== 'transparent') break;
        bg = bg.parentElement;
    }
    return [e.id || e.className || e.tagName, getComputedStyle(e).color, c];
});"""


def assert_readable(p, selectors, minimum=4.5):
    """Every element of each selector has text/background contrast of at least `minimum`
    (WCAG AA for body text); returns the lowest ratio seen."""
    lowest = None
    for sel in selectors:
        found = p.d.execute_script(COLOURS_JS, sel)
        if not found:
            raise Failure("nothing matches %s" % sel)
        for what, fg, bg in found:
            ratio = contrast(fg, bg)
            if ratio < minimum:
                raise Failure("%s (%s): text %s on %s, contrast %.2f < %.1f" % (sel, what, fg, bg, ratio, minimum))
            lowest = ratio if lowest is None else min(lowest, ratio)
    return lowest


def assert_no_sideways_scroll(p, width):
    """The page in a window `width` pixels wide fits it: no horizontal scroll in its frame."""
    p.d.set_window_size(width, 1000)
    try:
        fit = "const e = document.documentElement; return [e.scrollWidth, e.clientWidth];"
        sizes = p.wait("the page to fit a %d px window" % width,
                       lambda: (lambda s: s if s[1] <= width and s[0] <= s[1] else None)(p.d.execute_script(fit)))
        step("in a %d px window the page is %d px wide in a %d px frame: no sideways scroll" % (width, sizes[0], sizes[1]))
        p.shot("pmd-cockpit-table-narrow")
    finally:
        p.d.set_window_size(1600, 1200)


def pmctl_apps(cx):
    out = subprocess.run([cx, "pmctl", "ls", "--json"], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise Failure("pmctl ls --json failed: " + out.stderr)
    data = json.loads(out.stdout)
    return {a["name"]: a for a in (data if isinstance(data, list) else data.get("apps", []))}


def until(what, cond, timeout=DEADLINE):
    end = time.monotonic() + timeout
    last = None
    while True:
        last = cond()
        if last:
            return last
        if time.monotonic() > end:
            raise Failure("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(0.2)


def assert_ticks(text, first, tick, kept_window=False):
    """A downloaded stdout: `first`, then "TICK 1", "TICK 2", ... one a line, none missing. With
    kept_window (a download built from pmd's kept lines, 500 at most), a slow run may have
    pushed the first lines out: then it is "TICK k", "TICK k+1", ... with none missing."""
    lines = text.splitlines()
    want = [first] + ["%s %d" % (tick, i) for i in range(1, len(lines))]
    if kept_window and lines and lines[0] != first and lines[0].startswith(tick + " "):
        k = int(lines[0].split()[1])
        want = ["%s %d" % (tick, k + i) for i in range(len(lines))]
    if len(lines) < 2 or lines != want or not text.endswith("\n"):
        raise Failure("the downloaded file does not hold %r then %s 1..N in order: %r" % (first, tick, text[:300]))


def scenario_admin(p, cx):
    for app, inst in [("web", 0), ("web", 1), ("worker", 0), ("mine", 0)]:
        p.wait("%s #%s online in the table" % (app, inst),
               lambda: (p.row(app, inst) or {}).get("state") == "online")
    step("the table shows web #0, web #1, worker, mine online, as pmctl started them")
    p.shot("pmd-cockpit-table")
    assert_no_sideways_scroll(p, 480)
    p.wait("the rows still shown", lambda: (p.row("web", 1) or {}).get("state") == "online")

    # The table's pids are pmctl's.
    apps = pmctl_apps(cx)
    want = sorted(i["pid"] for i in apps["web"]["instances"])
    got = sorted(r["pid"] for r in p.rows() if r["app"] == "web")
    if want != got:
        raise Failure("web's pids: pmctl %s, page %s" % (want, got))
    step("web's pids in the table are pmctl's: %s" % got)

    p.click("stop", "worker")
    until("pmctl ls to show worker stopped", lambda: pmctl_apps(cx)["worker"]["state"] == "stopped")
    # A stopped app keeps its instance rows (state stopped, no pid).
    p.wait("worker stopped in the table", lambda: (p.row("worker", 0) or {}).get("state") == "stopped")
    step("Stop on worker: pmctl ls says stopped, and so does the table")

    old = p.row("web", 0)
    subprocess.run([cx, "kill", "-9", str(old["pid"])], check=True)
    new = p.wait("web #0 back online with a new pid", lambda: (lambda r: r if r and r["state"] == "online"
                                                              and r["pid"] not in (0, old["pid"]) else None)(p.row("web", 0)))
    if int(new["restarts"]) <= int(old["restarts"]):
        raise Failure("restarts of web #0 went from %s to %s" % (old["restarts"], new["restarts"]))
    pm = [i["pid"] for i in pmctl_apps(cx)["web"]["instances"] if i["index"] == 0]
    if pm != [new["pid"]]:
        raise Failure("web #0 after kill -9: page pid %s, pmctl %s" % (new["pid"], pm))
    step("kill -9 of web #0 (pid %d): back in the table as pid %d, restarts %s -> %s, pmctl agrees"
         % (old["pid"], new["pid"], old["restarts"], new["restarts"]))

    p.click("start", "worker")
    p.wait("worker online again", lambda: (p.row("worker", 0) or {}).get("state") == "online")
    step("Start on the stopped worker: online again")

    # Sorting and the filter box.
    p.d.find_element(By.CSS_SELECTOR, 'th[data-sort="pid"]').click()
    # Read inside a wait: a rebuild of the table between two reads of a row leaves it stale.
    p.wait("the table sorted by pid", lambda: (lambda pids: pids == sorted(pids))([r["pid"] for r in p.rows()]))
    box = p.d.find_element(By.ID, "pmd-filter")
    box.send_keys("work")
    p.wait("only worker after filtering 'work'", lambda: {r["app"] for r in p.rows()} == {"worker"})
    box.clear()
    box.send_keys(" ")
    step("sorting by pid and the filter box")

    # A refused request shows pmd's own words: scale to a number pmd refuses.
    # Typed as one input event (the page keeps what was typed when pmd's announcements rebuild
    # the table; a rebuild between two of Selenium's calls would leave it a detached element).
    p.d.execute_script("""const i = document.querySelector('input[data-scale="worker"]');
                          i.value = '100000'; i.dispatchEvent(new Event('input', {bubbles: true}));""")
    p.click("scale", "worker")
    msg = p.wait("pmd's error for scaling to 100000 (naming its limit, 1024)", lambda: "1024" in (p.error_text() or "") and p.error_text())
    step("scale worker 100000 refused, the page says: " + msg.splitlines()[0])

    # The add form.
    p.d.find_element(By.ID, "pmd-add-toggle").click()
    form = p.d.find_element(By.ID, "pmd-add-form")
    form.find_element(By.NAME, "name").send_keys("formapp")
    form.find_element(By.NAME, "command").send_keys("/bin/sleep 7010")
    form.find_element(By.NAME, "instances").send_keys("2")
    p.d.find_element(By.ID, "pmd-add-submit").click()
    until("pmctl ls to show formapp with 2 instances",
          lambda: len(pmctl_apps(cx).get("formapp", {}).get("instances", [])) == 2)
    p.wait("formapp in the table", lambda: (p.row("formapp", 1) or {}).get("state") == "online")
    step("the add form started formapp with 2 instances")

    # Delete asks twice.
    p.click("delete", "formapp")
    p.click("delete", "formapp")
    until("formapp gone from pmctl ls", lambda: "formapp" not in pmctl_apps(cx))
    p.wait("formapp gone from the table", lambda: p.row("formapp", 0) is None and p.row("formapp") is None)
    step("Delete (twice) removed formapp")


def scenario_detail(p, cx):
    p.wait("talker in the table", lambda: (p.row("talker", 0) or {}).get("state") == "online")
    p.d.find_element(By.CSS_SELECTOR, 'a[data-open="talker"]').click()
    p.wait("talker's page", lambda: p.d.find_element(By.ID, "pmd-detail").is_displayed())
    p.wait("its cgroup", lambda: "talker.app" in p.d.find_element(By.ID, "pmd-detail-facts").text)
    p.wait("its spec", lambda: '"name": "talker"' in p.d.find_element(By.ID, "pmd-detail-spec").text)
    step("talker's page: cgroup and spec")
    out = p.wait("stdout lines", lambda: p.d.find_element(By.CSS_SELECTOR, 'pre[data-stream="out"]').text)
    p.wait("hello-out in stdout", lambda: "hello-out" in p.d.find_element(By.CSS_SELECTOR, 'pre[data-stream="out"]').text)
    p.wait("hello-err in stderr", lambda: "hello-err" in p.d.find_element(By.CSS_SELECTOR, 'pre[data-stream="err"]').text)
    if "hello-err" in p.d.find_element(By.CSS_SELECTOR, 'pre[data-stream="out"]').text:
        raise Failure("stderr's line is in the stdout pane: " + out)
    step("stdout and stderr apart, followed live")
    # The admin (group pmd) may read talker's file: Download gives the file itself.
    text, note = p.download("out", "talker-out.log")
    assert_ticks(text, "hello-out", "tick")
    if note.text or note.get_attribute("data-kept"):
        raise Failure("the admin's download says it holds kept lines only: %r" % note.text)
    step("admin's Download of talker's stdout is the file (%d lines, hello-out first, ticks in order)"
         % len(text.splitlines()))
    n0 = p.d.find_element(By.CSS_SELECTOR, 'pre[data-stream="out"]').text.count("tick")
    p.wait("a new line followed", lambda: p.d.find_element(By.CSS_SELECTOR, 'pre[data-stream="out"]').text.count("tick") > n0)
    p.wait("3 figures samples in the plot", lambda: any(
        int(e.text.rsplit(",", 1)[-1].split()[0]) >= 3 for e in p.d.find_elements(By.CSS_SELECTOR, "[data-legend]") if e.text))
    step("the plot gets 1 Hz samples")

    # Import of an app file: the browser's file goes to the login's home, pmd starts it.
    toml = os.path.join(p.profile, "imported.toml")
    with open(toml, "w") as f:
        f.write('[[app]]\nname = "imported"\ncommand = ["/bin/sleep", "7020"]\n')
    p.shot("pmd-cockpit-app")
    p.d.find_element(By.ID, "pmd-add-toggle").click()
    p.d.find_element(By.ID, "pmd-import").send_keys(toml)
    until("pmctl ls to show the imported app", lambda: "imported" in pmctl_apps(cx), 60)
    p.wait("imported in the table", lambda: (p.row("imported", 0) or {}).get("state") == "online")
    step("importing imported.toml started its app")


def scenario_user(p, cx):
    p.wait("mine in the table", lambda: (p.row("mine", 0) or {}).get("state") == "online")
    p.wait("mylog in the table", lambda: (p.row("mylog", 0) or {}).get("state") == "online")
    others = {r["app"] for r in p.rows()} - {"mine", "mylog"}
    if others:
        raise Failure("an unprivileged login sees other users' apps: %s" % sorted(others))
    step("e2euser sees only mine and mylog")

    # Its app's log lines, though the log files are not e2euser's to read: pmd reads them out
    # over the bus (App.Logs, then LogLines to this client alone).
    denied = subprocess.run([cx, "runuser", "-u", "e2euser", "--", "cat", "/var/log/pmd/mylog-out.log"],
                            capture_output=True, text=True, timeout=30)
    if denied.returncode == 0:
        raise Failure("e2euser can read /var/log/pmd/mylog-out.log: the check would prove nothing")
    step("e2euser may not read /var/log/pmd/mylog-out.log: " + denied.stderr.strip())
    p.d.find_element(By.CSS_SELECTOR, 'a[data-open="mylog"]').click()
    out_pane = lambda: p.d.find_element(By.CSS_SELECTOR, 'pre[data-stream="out"]').text
    err_pane = lambda: p.d.find_element(By.CSS_SELECTOR, 'pre[data-stream="err"]').text
    p.wait("mylog-out in mylog's stdout pane", lambda: "mylog-out" in out_pane())
    p.wait("mylog-err in its stderr pane", lambda: "mylog-err" in err_pane())
    if "mylog-err" in out_pane() or "mylog-out" in err_pane():
        raise Failure("stdout and stderr mixed: out %r, err %r" % (out_pane()[:200], err_pane()[:200]))
    n0 = out_pane().count("mytick")
    p.wait("a new line of mylog, live", lambda: out_pane().count("mytick") > n0)
    step("e2euser's page shows mylog's stdout and stderr apart, and new lines as they come")
    # Download, though the file is not e2euser's to read: the page builds it from App.Logs.
    text, note = p.download("out", "mylog-out.log")
    assert_ticks(text, "mylog-out", "mytick", kept_window=True)
    kept = note.get_attribute("data-kept")
    if kept != str(len(text.splitlines())) or "last %s lines" % kept not in note.text:
        raise Failure("the pane does not say the download holds the %d kept lines: %r (data-kept %r)"
                      % (len(text.splitlines()), note.text, kept))
    err_text, _ = p.download("err", "mylog-err.log")
    if err_text != "mylog-err\n":
        raise Failure("mylog-err.log downloaded by e2euser holds %r, not mylog's stderr line" % err_text[:200])
    step("e2euser's Download gives mylog-out.log (%s lines, in order) and mylog-err.log from pmd's kept lines; "
         "the pane says: %r" % (kept, note.text))
    p.shot("pmd-cockpit-unprivileged")
    p.d.find_element(By.ID, "pmd-detail-close").click()
    p.click("stop", "mine")
    until("pmctl ls to show mine stopped", lambda: pmctl_apps(cx)["mine"]["state"] == "stopped")
    p.wait("mine stopped in the table", lambda: (p.row("mine", 0) or {}).get("state") == "stopped")
    step("e2euser stopped mine with the button; pmctl ls agrees")

    # Shown every app (pmd lets anyone read), a stop of another's app is refused by pmd.
    p.d.find_element(By.ID, "pmd-all").click()
    p.wait("web shown with every user's apps", lambda: p.row("web", 0) is not None)
    p.click("stop", "web")
    msg = p.wait("pmd's refusal", lambda: p.error_text())
    if pmctl_apps(cx)["web"]["state"] != "online":
        raise Failure("e2euser's stop of web was not refused")
    step("e2euser's stop of web is refused, the page says: " + msg.splitlines()[0])


def scenario_many(p, cx):
    # open_from_menu() returned once the table exists; the clock runs from the menu click.
    want = {"many%d" % i for i in range(100)}
    # One script call per probe: rows() costs five WebDriver round trips a row, seconds for 100
    # rows on a loaded host, which would be timed instead of the page.
    names = "return Array.from(document.querySelectorAll('#pmd-rows tr'), tr => tr.dataset.app);"
    p.wait("the 100 apps in the table", lambda: want <= set(p.d.execute_script(names)), 60)
    took = time.monotonic() - p.opened_at
    print("figure: the page showed 100 apps %.0f ms after its menu entry was clicked (its frame and empty table: %.0f ms)"
          % (took * 1000, (p.table_at - p.opened_at) * 1000), flush=True)
    p.shot("pmd-cockpit-100-apps")


def scenario_dark(p, cx):
    p.wait("talker in the table", lambda: (p.row("talker", 0) or {}).get("state") == "online")
    dark = p.wait("the page in the dark theme", lambda: p.d.execute_script(
        "return document.documentElement.classList.contains('pf-theme-dark') || "
        "document.documentElement.classList.contains('pf-v5-theme-dark');"))
    bg = p.d.execute_script("return getComputedStyle(document.body).backgroundColor;")
    if luminance(bg) > 0.1:
        raise Failure("dark theme chosen, but the page's background is %s" % bg)
    p.d.find_element(By.CSS_SELECTOR, 'a[data-open="talker"]').click()
    p.wait("hello-out in talker's stdout pane",
           lambda: "hello-out" in p.d.find_element(By.CSS_SELECTOR, 'pre[data-stream="out"]').text)
    lowest = assert_readable(p, ["body", "h1", "#pmd-status", ".pmd-table th", ".pmd-table td", ".pmd-table a",
                                 "button", "#pmd-filter", "#pmd-detail-facts dt", "#pmd-detail-facts dd",
                                 "#pmd-detail-spec", "pre[data-stream]"])
    step("dark theme (%s): background %s, every text checked has contrast >= 4.5 (lowest %.1f)" % (dark, bg, lowest))
    p.shot("pmd-cockpit-dark")
    # Back to light without a reload: the storage event Cockpit's switch causes in each frame.
    p.d.execute_script("localStorage.setItem('shell:style', 'light');"
                       "window.dispatchEvent(new StorageEvent('storage', {key: 'shell:style', newValue: 'light'}));")
    p.wait("the page light again", lambda: not p.d.execute_script(
        "return document.documentElement.classList.contains('pf-theme-dark');"))
    assert_readable(p, ["body", ".pmd-table td", ".pmd-table a", "#pmd-detail-facts dt"])
    step("switched back to light: readable too")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--cx", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--scenario", choices=["admin", "detail", "user", "many", "dark"], required=True)
    ap.add_argument("--shots", help="save screenshots here")
    args = ap.parse_args()
    p = Page(args)
    try:
        p.login(style="dark" if args.scenario == "dark" else None)
        p.open_from_menu()
        {"admin": scenario_admin, "detail": scenario_detail, "user": scenario_user,
         "many": scenario_many, "dark": scenario_dark}[args.scenario](p, args.cx)
        return 0
    except Failure as e:
        print("FAILED: %s" % e, flush=True)
        try:
            shot = "/tmp/pmd-cockpit-%s-%d.png" % (args.scenario, os.getpid())
            p.d.save_screenshot(shot)
            print("screenshot: " + shot)
            p.d.switch_to.default_content()
            print("frame url: " + p.d.current_url)
        except WebDriverException:
            pass
        return 1
    finally:
        p.close()


if __name__ == "__main__":
    sys.exit(main())
