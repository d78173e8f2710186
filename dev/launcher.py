"""Start the whole local stack: the dev/ stand-ins and both Workers under `wrangler dev` (workerd).

    python -m dev.launcher          (npm run dev)   runs until Ctrl-C
    with Stack() as stack: ...                      what the tests and the demo use

Every address can be moved with an environment variable (see README): SCRAPER_PORT (8787),
PROCESSOR_PORT (8788), DEMO_SITE_PORT (8790), IMAGES_API_PORT (8791), VENDOR_CDN_PORT (8792),
WEBHOOK_RECEIVER_PORT (8793).
On exit every process this started is stopped (each wrangler runs in its own process group).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from dev.standins import start_standins
from dev.webhook_receiver import WebhookReceiver
from scripts import setup as project_setup  # the wrangler environment, the migrations
from scripts import wrangler_config  # the processor's queue-mode config

ROOT = Path(__file__).resolve().parent.parent

# Test-only flags: select workerd's `dev` Pyodide slot (the bundle built offline). Given on the
# command line so the committed configs stay deployable.
DEV_SLOT_FLAGS = [
    "python_workers",
    "python_workers_development",
    "no_python_workers_20250116",
    "no_python_workers_314",
]
ACCOUNT_ID, ACCOUNT_HASH = "local-account", "local-hash"
# Default inspector ports (moved by PROCESSOR_INSPECTOR_PORT, SCRAPER_INSPECTOR_PORT and port_offset).
INSPECTOR_PORTS = {"processor": 9230, "scraper": 9231}


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


read_dev_vars = project_setup.read_dev_vars


@dataclass
class WorkerProcess:
    name: str
    url: str
    process: subprocess.Popen
    log_path: Path

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def workerd_stats(self) -> list[tuple[list[str], str]]:
        """(/proc/PID/stat fields after the name, /proc/PID/status) of each workerd process that
        this Worker's wrangler started (they share its process group)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text, status = stat.read_text(), (stat.parent / "status").read_text()
            except OSError:
                continue
            name, rest = text.split("(", 1)[1].rsplit(")", 1)
            fields = rest.split()
            if "workerd" in name and int(fields[2]) == self.process.pid:
                found.append((fields, status))
        if not found:
            raise RuntimeError(f"no workerd process found for {self.name}")
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU time of the Worker's workerd processes so far (D1's local SQLite included)."""
        ticks = os.sysconf("SC_CLK_TCK")
        return sum(int(fields[11]) + int(fields[12]) for fields, _ in self.workerd_stats()) / ticks

    def rss_kb(self) -> int:
        """Resident memory of the Worker's workerd processes."""
        return sum(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) for _, status in self.workerd_stats())


@dataclass
class Stack:
    state_dir: Path | None = None
    scraper_vars: dict = field(default_factory=dict)
    processor_vars: dict = field(default_factory=dict)
    quiet: bool = False
    keep_logs_in: Path | None = None  # on stop, the Workers' logs are copied here (the state dir may go)
    port_offset: int = 0  # added to every port: a second stack beside the first (tests)
    queue_mode: bool = True  # the processor with its queues; False: its config as committed

    def __post_init__(self):
        ports = {
            "scraper": _port("SCRAPER_PORT", 8787),
            "processor": _port("PROCESSOR_PORT", 8788),
            "site": _port("DEMO_SITE_PORT", 8790),
            "images": _port("IMAGES_API_PORT", 8791),
            "cdn": _port("VENDOR_CDN_PORT", 8792),
            "webhooks": _port("WEBHOOK_RECEIVER_PORT", 8793),
        }
        self.ports = {name: port + self.port_offset for name, port in ports.items()}
        self.workers: dict[str, WorkerProcess] = {}
        self.standins = None
        self.webhooks = None
        self.secrets = read_dev_vars()
        self._tmp = None

    # --- URLs ------------------------------------------------------------------------------
    @property
    def scraper_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['scraper']}"

    @property
    def processor_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['processor']}"

    @property
    def cron_url(self) -> str:
        """wrangler dev's route that runs the processor's scheduled() as the */10 cron would."""
        return self.processor_url + "/cdn-cgi/handler/scheduled?cron=*%2F10+*+*+*+*"

    @property
    def site_url(self) -> str:
        return self.standins.site.site_url

    @property
    def images_url(self) -> str:
        return self.standins.images.url

    # --- life cycle ------------------------------------------------------------------------
    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def say(self, message: str) -> None:
        if not self.quiet:
            print(f"[stack] {message}", flush=True)

    def start(self) -> None:
        started = time.time()
        if self.state_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="lambert-stack-")
            self.state_dir = Path(self._tmp.name)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.standins = start_standins(
            site_port=self.ports["site"],
            cdn_port=self.ports["cdn"],
            images_port=self.ports["images"],
            images_token=self.secrets["CF_IMAGES_TOKEN"],
            account_id=ACCOUNT_ID,
            account_hash=ACCOUNT_HASH,
        )
        self.webhooks = WebhookReceiver().start(port=self.ports["webhooks"])
        self.say(
            f"stand-ins: dealer site {self.site_url}, vendor CDN {self.standins.site.cdn_url}, "
            f"Images API {self.images_url}"
        )
        project_setup.apply_migrations(self.state_dir)
        delivery = self.images_url
        self.local_processor_vars = {
            "CLOUDFLARE_ACCOUNT_ID": ACCOUNT_ID,
            "CLOUDFLARE_IMAGES_ACCOUNT_HASH": ACCOUNT_HASH,
            "IMAGES_API_BASE": f"{self.images_url}/client/v4",
            "IMAGES_BATCH_API_BASE": f"{self.images_url}/batch",
            "IMAGE_DELIVERY_BASE": delivery,
            "LOCAL_DEV_PROFILE": "true",
            "ALLOWED_IMAGE_HOSTS": "127.0.0.1",
            "WEBHOOK_URL": f"{self.webhooks.url}/hook",
            **self.processor_vars,
        }
        self.say(
            "starting image-processor, then lambert-scraper (one at a time, never racing for the database)"
        )
        # One after the other: two workerd processes opening a fresh local D1 database at the same
        # moment can fail to start with "database is locked: SQLITE_BUSY".
        self._start_answering(
            "processor", self.processor_config(), INSPECTOR_PORTS["processor"], self.local_processor_vars
        )
        self._start_answering(
            "scraper",
            "wrangler-scraper.toml",
            INSPECTOR_PORTS["scraper"],
            {
                "SCRAPE_URL": f"{self.site_url}/inventory",
                "CLOUDFLARE_ACCOUNT_ID": ACCOUNT_ID,
                "CLOUDFLARE_IMAGES_ACCOUNT_HASH": ACCOUNT_HASH,
                "IMAGE_DELIVERY_BASE": delivery,
                **self.scraper_vars,
            },
        )
        self.startup_seconds = time.time() - started
        self.say(
            f"lambert-scraper {self.scraper_url} and image-processor {self.processor_url} "
            f"answer ({self.startup_seconds:.1f} s)"
        )

    def start_processor_variant(self, name: str, port: int, inspector_port: int, variables: dict) -> str:
        """One more image-processor (e.g. another UPLOAD_MODE) on the same D1 database, in a dev
        registry of its own so the scraper's service binding keeps reaching the main one."""
        self.ports[name] = port
        self._start_answering(
            name,
            self.processor_config(),
            inspector_port,
            {**self.local_processor_vars, **variables},
            registry=self.state_dir / f"registry-{name}",
        )
        return self.workers[name].url

    def restart_processor(self, variables: dict | None = None) -> None:
        """Start the image processor again with `variables` over its settings (e.g. UPLOAD_MODE), or
        as it started; the scraper's service binding and the cron route reach it as before."""
        self.stop_worker("processor")
        settings = {**self.local_processor_vars, **(variables or {})}
        self._start_answering(
            "processor", self.processor_config(), INSPECTOR_PORTS["processor"], settings, append_log=True
        )

    def processor_config(self) -> str:
        """The image processor's config: in queue mode the generated one that declares its queues."""
        if not self.queue_mode:
            return wrangler_config.PROCESSOR_CONFIG
        return wrangler_config.write_queue_config().name

    def _start_answering(
        self,
        name: str,
        config: str,
        inspector_port: int,
        variables: dict,
        registry: Path | None = None,
        append_log: bool = False,
    ) -> None:
        """Start a Worker and wait until it answers; once more if its start met a busy database.
        `append_log`: a restart, whose log goes on after the earlier run's."""
        for attempt in (1, 2):
            self._start_worker(name, config, inspector_port, variables, registry, append_log)
            try:
                self._wait_until_answering(self.workers[name])
                return
            except RuntimeError as error:
                if attempt == 2 or "SQLITE_BUSY" not in str(error):
                    raise
                self.say(f"{name} did not start: the local database was busy; starting it again")
                self.stop_worker(name)

    def _start_worker(
        self,
        name: str,
        config: str,
        inspector_port: int,
        variables: dict,
        registry: Path | None = None,
        append_log: bool = False,
    ) -> None:
        log_path = self.state_dir / f"{name}.log"
        command = [
            str(ROOT / "node_modules" / ".bin" / "wrangler"),
            "dev",
            "-c",
            config,
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.ports[name]),
            "--inspector-port",
            str(_port(f"{name.upper()}_INSPECTOR_PORT", inspector_port) + self.port_offset),
            "--persist-to",
            str(self.state_dir),
            "--show-interactive-dev-session=false",
            "--compatibility-flags",
            *DEV_SLOT_FLAGS,
        ]
        for key, value in variables.items():
            command += ["--var", f"{key}:{value}"]
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self._worker_env(registry),
            stdin=subprocess.DEVNULL,
            stdout=log_path.open("ab" if append_log else "wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers[name] = WorkerProcess(name, f"http://127.0.0.1:{self.ports[name]}", process, log_path)

    def _worker_env(self, registry: Path | None = None) -> dict:
        # Each stack has its own dev registry, so a test session and `npm run dev` never meet.
        return {
            **project_setup.wrangler_env(),
            "WRANGLER_REGISTRY_PATH": str(registry or self.state_dir / "registry"),
            "WRANGLER_LOG_PATH": str(self.state_dir / "wrangler-logs"),
        }

    def _wait_until_answering(self, worker: WorkerProcess, timeout_s: float = 90) -> None:
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            if worker.process.poll() is not None:
                raise RuntimeError(
                    f"{worker.name} exited ({worker.process.returncode}):\n{worker.log_text()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(worker.url + "/", timeout=5) as answer:
                    json.loads(answer.read())
                    return
            except urllib.error.HTTPError as error:
                raise RuntimeError(
                    f"{worker.name} answered HTTP {error.code} at start:\n{error.read()[:500]!r}\n"
                    f"{worker.log_text()[-3000:]}"
                ) from None
            except (OSError, ValueError):
                time.sleep(0.3)
        raise RuntimeError(f"{worker.name} did not answer within {timeout_s} s:\n{worker.log_text()[-3000:]}")

    def stop_worker(self, name: str) -> None:
        worker = self.workers.get(name)
        if worker and worker.process.poll() is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(worker.process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    worker.process.wait(timeout=5)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # Whatever wrangler left behind in its group (workerd) goes too.
        if worker:
            try:
                os.killpg(worker.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def restart_worker(self, name: str) -> None:
        """Kill a Worker's processes and start it again with the same settings (fault tests)."""
        worker = self.workers[name]
        command = worker.process.args
        self.stop_worker(name)
        log_path = worker.log_path
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self._worker_env(),
            stdin=subprocess.DEVNULL,
            stdout=log_path.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers[name] = WorkerProcess(name, worker.url, process, log_path)
        self._wait_until_answering(self.workers[name])

    def stop(self) -> None:
        for name in list(self.workers):
            self.stop_worker(name)
        if self.keep_logs_in and self.state_dir:
            shutil.rmtree(self.keep_logs_in, ignore_errors=True)
            self.keep_logs_in.mkdir(parents=True, exist_ok=True)
            for log in self.state_dir.glob("*.log"):
                shutil.copyfile(log, self.keep_logs_in / log.name)
        if self.standins:
            self.standins.stop()
            self.standins = None
        if self.webhooks:
            self.webhooks.stop()
            self.webhooks = None
        if self._tmp:
            self._tmp.cleanup()
            self._tmp = None


def site_vars_from_environment() -> dict:
    """SCRAPE_URL and SITE_PROFILE from the environment (`npm run dev`/`demo` against a real dealer
    site); only the commands pass them on, never the test stack. The stand-ins stay the only private
    hosts allowed."""
    return {name: os.environ[name] for name in ("SCRAPE_URL", "SITE_PROFILE") if os.environ.get(name)}


def photo_vars_for(site_vars: dict) -> dict:
    """With a real dealer site (SCRAPE_URL given), its photos live on public hosts: the processor then
    allows ALLOWED_IMAGE_HOSTS from the environment (empty: any public host) and no private host."""
    if "SCRAPE_URL" not in site_vars:
        return {}
    return {"ALLOWED_IMAGE_HOSTS": os.environ.get("ALLOWED_IMAGE_HOSTS", ""), "LOCAL_DEV_PROFILE": "false"}


def main() -> None:
    state = ROOT / ".wrangler" / "state"
    site_vars = site_vars_from_environment()
    with Stack(state_dir=state, scraper_vars=site_vars, processor_vars=photo_vars_for(site_vars)) as stack:
        print(
            json.dumps(
                {
                    "scraper": stack.scraper_url,
                    "imageProcessor": stack.processor_url,
                    "adminPanel": f"{stack.processor_url}/admin",
                    "demoSite": stack.site_url,
                    "imagesApi": stack.images_url,
                },
                indent=2,
            ),
            flush=True,
        )
        print("Press Ctrl-C to stop.", flush=True)
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        try:
            while not stop:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
