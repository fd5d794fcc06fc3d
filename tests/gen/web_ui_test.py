#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""mpgen's web UI in headless Chromium, driven over the DevTools protocol:
the page loads, its numbers move, a click on Stop stops the generator (seen
on the page and through the JSON API), the control endpoints refuse bad
values, and a screenshot is written.  Usage: web_ui_test.py BASE_URL PNG"""
import base64, json, os, shutil, subprocess, sys, tempfile, time, urllib.error, urllib.request

import websocket  # Debian's python3-websocket

base, shot = sys.argv[1].rstrip("/"), sys.argv[2]
fails = []


def check(name, ok):
    print(("ok   " if ok else "FAIL ") + name)
    if not ok:
        fails.append(name)


def api(path, method="GET"):
    req = urllib.request.Request(base + path, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def api_wait(pred, secs=3):
    """The sampler refreshes /stat/1 four times a second: poll for a state."""
    end = time.time() + secs
    while time.time() < end:
        if pred(api("/stat/1")[1]):
            return True
        time.sleep(0.1)
    return False


def num(text):
    text = text.strip()
    mult = {"k": 1e3, "M": 1e6}.get(text[-1:], 1)
    return float(text.rstrip("kM")) * mult


ud = tempfile.mkdtemp(prefix="mpgen-chromium.")
chrome = subprocess.Popen(
    ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
     "--remote-debugging-port=0", "--remote-allow-origins=*", "--user-data-dir=" + ud,
     "--window-size=1400,1000", "about:blank"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    port_file = os.path.join(ud, "DevToolsActivePort")
    for _ in range(300):
        if os.path.exists(port_file) and open(port_file).read().strip():
            break
        time.sleep(0.1)
    dport = int(open(port_file).read().split()[0])
    targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{dport}/json", timeout=5))
    page = next(t for t in targets if t["type"] == "page")
    ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=15)
    seq = [0]

    def cdp(method, **params):
        seq[0] += 1
        ws.send(json.dumps({"id": seq[0], "method": method, "params": params}))
        while True:
            m = json.loads(ws.recv())
            if m.get("id") == seq[0]:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})

    def js(expr):
        r = cdp("Runtime.evaluate", expression=expr, returnByValue=True)
        return r.get("result", {}).get("value")

    def wait(expr, secs=10):
        end = time.time() + secs
        while time.time() < end:
            v = js(expr)
            if v:
                return v
            time.sleep(0.1)
        return None

    cdp("Page.enable")
    cdp("Page.navigate", url=base + "/")
    check("page loads and shows port 0", wait("(document.getElementById('tx-0')||{}).textContent") is not None)
    check("status says running", wait("document.getElementById('status').textContent === 'running'"))
    a = num(js("document.getElementById('tx-0').textContent"))
    time.sleep(2)
    b = num(js("document.getElementById('tx-0').textContent"))
    check(f"TX frames on the page move ({a} -> {b})", b > a)
    check("RX fps on the page is non-zero", num(js("document.getElementById('rx_pps-1').textContent")) > 0)
    check("charts are drawn", js("document.getElementById('c-pps').toDataURL().length") > 3000)

    rect = json.loads(js("JSON.stringify(document.getElementById('stop').getBoundingClientRect())"))
    x, y = rect["x"] + rect["width"] / 2, rect["y"] + rect["height"] / 2
    cdp("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
    cdp("Input.dispatchMouseEvent", type="mousePressed", x=x, y=y, button="left", clickCount=1)
    cdp("Input.dispatchMouseEvent", type="mouseReleased", x=x, y=y, button="left", clickCount=1)
    check("page shows stopped after the click", wait("document.getElementById('status').textContent === 'stopped'"))
    st, j = api("/stat/1")
    check("API agrees: port 0 not running", st == 200 and not j["ports"][0]["running"])
    t1 = j["ports"][0]["tx"]
    time.sleep(1.2)
    t2 = api("/stat/1")[1]["ports"][0]["tx"]
    check(f"TX stands still after stop ({t1} = {t2})", t1 == t2)
    p1 = js("document.getElementById('tx-0').textContent")
    time.sleep(1)
    check("page counter stands still", js("document.getElementById('tx-0').textContent") == p1)

    st, j = api("/port/0/rate/fast", "POST")
    check("bad rate refused with 400 and a reason", st == 400 and "rate 'fast'" in j["message"])
    st, j = api("/port/0/rate/20Mpps", "POST")
    check("impossible rate refused", st == 400 and "above the line rate" in j["message"])
    st, j = api("/port/0/size/128", "POST")
    check("size set", st == 200 and api_wait(lambda j: j["ports"][0]["size"] == "128"))
    st, _ = api("/clear", "POST")
    check("clear", st == 200 and api_wait(lambda j: j["ports"][0]["tx"] == 0))

    png = base64.b64decode(cdp("Page.captureScreenshot", format="png")["data"])
    with open(shot, "wb") as f:
        f.write(png)
    check(f"screenshot written ({len(png)} bytes)", png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000)
    ws.close()
finally:
    chrome.terminate()
    try:
        chrome.wait(10)
    except subprocess.TimeoutExpired:
        chrome.kill()
    shutil.rmtree(ud, ignore_errors=True)
print(f"web UI: {len(fails)} failed")
sys.exit(1 if fails else 0)
