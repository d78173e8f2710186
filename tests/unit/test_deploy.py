"""npm run deploy: settings, the plan, the dry run (offline, with the real wrangler), the config
edits, the queue-mode config, and the account-side steps against a scripted account.

No Cloudflare account exists here, so the steps that need one run against `ScriptedAccount`: it
answers as wrangler does (its output formats read from wrangler's source) and records every call.
"""

import json
import os
import shutil
import subprocess
import sys
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from inventory.config import SETTINGS
from scripts import deploy
from scripts import wrangler_config as configs
from tests.settings import ROOT

ACCOUNT_ID = "0123abcd" * 4
DATABASE_ID = "3f2b1c9e-5d4a-4e7b-9c8d-1a2b3c4d5e6f"
FILLED = {
    "SCRAPE_URL": "https://www.lambertcars.co.uk/used-cars",
    "CLOUDFLARE_ACCOUNT_ID": ACCOUNT_ID,
    "CLOUDFLARE_IMAGES_ACCOUNT_HASH": "Vi7wi5KSItxGFsWRG2Us6Q",
    "ALLOWED_IMAGE_HOSTS": "www.lambertcars.co.uk,cdn.lambertcars.co.uk",
}
SECRETS = {"CF_IMAGES_TOKEN": "cf-images-token-4d9a", "ADMIN_TOKEN": "admin-token-77e1"}
COMMITTED = (configs.SCRAPER_CONFIG, configs.PROCESSOR_CONFIG)


def environment_without_settings() -> dict:
    every_setting = {setting.name for setting in SETTINGS}
    return {k: v for k, v in os.environ.items() if k not in every_setting}


def run_deploy_script(*args, **settings) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "deploy.py"), *args],
        cwd=ROOT,
        env={**environment_without_settings(), **settings},
        capture_output=True,
        text=True,
        timeout=300,
    )


def committed_bytes() -> dict:
    return {name: (ROOT / name).read_bytes() for name in COMMITTED}


# --- the dry run, as a user runs it --------------------------------------------------------------


def test_a_dry_run_with_placeholders_left_names_each_and_stops_before_anything():
    done = run_deploy_script("--dry-run")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Plan" not in done.stdout
    for line in (
        "image-processor  CLOUDFLARE_ACCOUNT_ID is still the placeholder 'your-account-id'",
        "image-processor  ALLOWED_IMAGE_HOSTS is still the placeholder 'dealer.example.com,cdn.",
        "lambert-scraper  SCRAPE_URL is still the placeholder 'https://dealer.example.com/inventory'",
        "lambert-scraper  CLOUDFLARE_IMAGES_ACCOUNT_HASH is still the placeholder",
    ):
        assert line in done.stderr
    assert "nothing was created" in done.stderr


def test_a_dry_run_with_one_placeholder_left_names_only_that_one():
    done = run_deploy_script("--dry-run", **{**FILLED, "ALLOWED_IMAGE_HOSTS": "cdn.example.com"})
    assert done.returncode == 2
    problems = [line for line in done.stderr.splitlines() if line.startswith("  ")]
    assert problems == [
        "  image-processor  ALLOWED_IMAGE_HOSTS still lists placeholder hosts (cdn.example.com)"
    ]


def test_a_dry_run_with_the_settings_given_prints_the_plan_checks_offline_and_changes_nothing():
    before = committed_bytes()
    done = run_deploy_script("--dry-run", **FILLED, HANDOFF_MODE="queue")
    assert done.returncode == 0, done.stdout + done.stderr
    numbered = [line.strip() for line in done.stdout.splitlines() if line[:5].strip().rstrip(".").isdigit()]
    steps = [line.split(". ", 1)[1] for line in numbered]
    expected_starts = [
        "check the wrangler login",
        "write SCRAPE_URL",
        "D1 database lambert-inventory: keep it",
        "apply those of the migrations (0001_initial.sql",
        "queues image-jobs, image-jobs-dlq",
        "image-processor: ask for each secret not set yet, of CF_IMAGES_TOKEN, ADMIN_TOKEN",
        "lambert-scraper: ask for each secret",
        "deploy image-processor (wrangler-image-processor.queue.toml)",
        "deploy lambert-scraper (wrangler-scraper.toml)",
        "call GET / on both Workers",
    ]
    assert len(steps) == len(expected_starts), steps
    for step, start in zip(steps, expected_starts, strict=False):
        assert step.startswith(start), (step, start)
    assert "✅ the migrations apply to an empty local database" in done.stdout
    assert "✅ image-processor bundles (wrangler deploy --dry-run): Total Upload:" in done.stdout
    assert "✅ lambert-scraper bundles (wrangler deploy --dry-run): Total Upload:" in done.stdout
    assert committed_bytes() == before


# --- settings ------------------------------------------------------------------------------------


def test_settings_come_from_the_configs_and_the_environment_overrides_them_per_worker():
    settings = deploy.read_settings(
        ROOT,
        {
            "SCRAPE_URL": "https://cars.dealer.co.uk/",
            "BATCH_SIZE": "20",
            "LOCAL_DEV_PROFILE": "true",
            "PATH": "/bin",
        },
    )
    assert settings.from_environment == {"SCRAPE_URL": "https://cars.dealer.co.uk/", "BATCH_SIZE": "20"}
    assert settings.vars["lambert-scraper"]["SCRAPE_URL"] == "https://cars.dealer.co.uk/"
    assert "BATCH_SIZE" not in settings.vars["lambert-scraper"]
    assert settings.vars["image-processor"]["BATCH_SIZE"] == "20"
    assert settings.vars["image-processor"]["UPLOAD_MODE"] == "url"  # from the config
    assert all("LOCAL_DEV_PROFILE" not in found for found in settings.vars.values())  # never from outside


def test_the_two_workers_must_name_the_same_account():
    settings = deploy.read_settings(ROOT, FILLED)
    settings.vars["lambert-scraper"]["CLOUDFLARE_ACCOUNT_ID"] = "fedcba98" * 4
    assert [(w, p["setting"], p["reason"]) for w, p in settings.problems()] == [
        ("lambert-scraper", "CLOUDFLARE_ACCOUNT_ID", "differs from image-processor's")
    ]


def test_the_secrets_asked_for_follow_the_settings():
    settings = deploy.read_settings(ROOT, FILLED)
    assert settings.secrets_needed() == {
        "image-processor": ["CF_IMAGES_TOKEN", "ADMIN_TOKEN"],
        "lambert-scraper": ["ADMIN_TOKEN"],
    }
    settings = deploy.read_settings(
        ROOT, {**FILLED, "UPLOAD_MODE": "binding", "WEBHOOK_URL": "https://hooks.dealer.co.uk/"}
    )
    assert settings.secrets_needed()["image-processor"] == ["ADMIN_TOKEN", "WEBHOOK_SECRET"]


# --- the config edits ----------------------------------------------------------------------------


def test_a_setting_is_written_in_place_keeping_its_comment_and_every_other_line():
    text = (ROOT / configs.SCRAPER_CONFIG).read_text()
    changed = configs.set_var(text, "SCRAPE_URL", 'https://cars.dealer.co.uk/stock?make="VW"')
    assert tomllib.loads(changed)["vars"]["SCRAPE_URL"] == 'https://cars.dealer.co.uk/stock?make="VW"'
    old, new = text.splitlines(), changed.splitlines()
    differing = [(a, b) for a, b in zip(old, new, strict=False) if a != b]
    assert len(old) == len(new) and len(differing) == 1
    assert differing[0][1].endswith("# the dealer's inventory listing (page 1)")


def test_a_setting_the_config_lacks_is_added_to_its_vars_table():
    text = (ROOT / configs.PROCESSOR_CONFIG).read_text()
    changed = configs.set_var(text, "WEBHOOK_URL", "https://hooks.dealer.co.uk/lambert")
    parsed = tomllib.loads(changed)
    assert parsed["vars"]["WEBHOOK_URL"] == "https://hooks.dealer.co.uk/lambert"
    assert parsed["d1_databases"] == tomllib.loads(text)["d1_databases"]
    assert len(changed.splitlines()) == len(text.splitlines()) + 1


def test_the_database_id_is_written_into_the_binding_keeping_its_comment():
    for name in COMMITTED:
        text = (ROOT / name).read_text()
        changed = configs.set_database_id(text, DATABASE_ID)
        (database,) = tomllib.loads(changed)["d1_databases"]
        assert database == {**tomllib.loads(text)["d1_databases"][0], "database_id": DATABASE_ID}
        assert "# " in next(line for line in changed.splitlines() if line.startswith("database_id"))


def test_the_queue_config_is_the_committed_processor_config_plus_its_queues_only(tmp_path):
    for name in COMMITTED:
        shutil.copy(ROOT / name, tmp_path / name)
    path = configs.write_queue_config(tmp_path)
    assert path == tmp_path / configs.QUEUE_CONFIG
    generated = tomllib.loads(path.read_text())
    committed = tomllib.loads((ROOT / configs.PROCESSOR_CONFIG).read_text())
    assert "queues" not in committed  # a binding-mode deploy needs no queues
    queues = generated.pop("queues")
    assert generated == committed
    assert queues["producers"] == [{"binding": "IMAGE_JOBS", "queue": "image-jobs"}]
    assert [(c["queue"], c.get("dead_letter_queue")) for c in queues["consumers"]] == [
        ("image-jobs", "image-jobs-dlq"),
        ("image-jobs-dlq", None),
    ]


def test_the_queue_config_is_not_rewritten_when_unchanged(tmp_path):
    """wrangler dev restarts a Worker whose config file is touched: a second stack must not do that."""
    shutil.copy(ROOT / configs.PROCESSOR_CONFIG, tmp_path / configs.PROCESSOR_CONFIG)
    path = configs.write_queue_config(tmp_path)
    os.utime(path, (1_000_000, 1_000_000))
    configs.write_queue_config(tmp_path)
    assert path.stat().st_mtime == 1_000_000
    assert {p.name for p in tmp_path.iterdir()} == {configs.PROCESSOR_CONFIG, configs.QUEUE_CONFIG}


# --- the account-side steps ----------------------------------------------------------------------


class HealthServer:
    """Answers GET /<worker>/ as the deployed Worker's health endpoint would."""

    def __init__(self, account):
        account_ref = account

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                worker = self.path.strip("/")
                body = json.dumps(
                    {
                        "service": worker,
                        "version": "0.1.0",
                        "secrets": {n: n in account_ref.secrets.get(worker, {}) for n in ("ADMIN_TOKEN",)},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class ScriptedAccount:
    """wrangler in front of a Cloudflare account: what exists there, and every call made."""

    def __init__(self, root, logged_in=True, accounts=(ACCOUNT_ID,)):
        self.root, self.logged_in, self.accounts = root, logged_in, accounts
        self.databases: dict[str, str] = {}
        self.queues: set[str] = set()
        self.secrets: dict[str, dict[str, str]] = {}
        self.deployed: list[str] = []
        self.calls: list[tuple] = []
        self.health = HealthServer(self)

    def worker_of(self, config: str) -> dict:
        return tomllib.loads((self.root / config).read_text())

    def read(self, *args):
        self.calls.append(args)
        match args:
            case ("whoami", "--json"):
                if not self.logged_in:
                    return 1, '{"loggedIn": false}'
                return 0, json.dumps(
                    {
                        "loggedIn": True,
                        "email": "owner@lambertcars.co.uk",
                        "accounts": [{"id": a, "name": "Lambert"} for a in self.accounts],
                    }
                )
            case ("d1", "list", "--json"):
                listed = [{"uuid": uuid, "name": name} for name, uuid in self.databases.items()]
                return 0, "▲ [WARNING] a newer wrangler is available\n" + json.dumps(listed)
            case ("queues", "info", queue):
                if queue in self.queues:
                    return 0, f"Queue Name: {queue}\nQueue ID: 42"
                return 1, f'✘ [ERROR] Queue "{queue}" does not exist. To create it, run: wrangler queues'
            case ("secret", "list", "-c", config):
                name = self.worker_of(config)["name"]
                if name not in self.secrets:
                    return 1, f'✘ [ERROR] Worker "{name}" not found.\n\nIf this is a new Worker, run'
                return 0, json.dumps([{"name": n, "type": "secret_text"} for n in self.secrets[name]])
        raise AssertionError(f"unexpected wrangler call {args}")

    def show(self, *args, input_text=None, interactive=False, extra_env=None):
        self.calls.append(args)
        match args:
            case ("d1", "create", name):
                self.databases[name] = DATABASE_ID
            case ("d1", "migrations", "apply", "DB", "--remote", "-c", config):
                return 0 if self.binds_existing_database(config) else 1
            case ("queues", "create", queue):
                self.queues.add(queue)
            case ("deploy", "-c", config):
                return self.deploy(config, extra_env["WRANGLER_OUTPUT_FILE_PATH"])
            case ("secret", "put", key, "-c", config):
                assert input_text and not interactive
                self.secrets.setdefault(self.worker_of(config)["name"], {})[key] = input_text
            case _:
                raise AssertionError(f"unexpected wrangler call {args}")
        return 0

    def binds_existing_database(self, config: str) -> bool:
        bound = [database["database_id"] for database in self.worker_of(config)["d1_databases"]]
        return bound == list(self.databases.values())

    def deploy(self, config: str, output_path: str) -> int:
        """As the real deploy: it fails on an unknown database or queue, a missing bound service."""
        worker = self.worker_of(config)
        queues = {q["queue"] for q in worker.get("queues", {}).get("producers", [])}
        services = {s["service"] for s in worker.get("services", [])}
        deployed_names = {self.worker_of(c)["name"] for c in self.deployed}
        if not self.binds_existing_database(config) or not queues <= self.queues:
            return 1
        if not services <= deployed_names:
            return 1
        self.deployed.append(config)
        self.secrets.setdefault(worker["name"], {})
        with open(output_path, "a") as output:
            output.write(json.dumps({"type": "wrangler-session", "version": 1}) + "\n")
            targets = [f"{self.health.url}/{worker['name']}", "schedule: */10 * * * *"]
            output.write(json.dumps({"type": "deploy", "worker_name": worker["name"], "targets": targets}))
        return 0

    def calls_changing_things(self) -> list[tuple]:
        return [c for c in self.calls if c[:2] in (("d1", "create"), ("queues", "create"), ("secret", "put"))]


@pytest.fixture
def project(tmp_path):
    """A clone's configs, to be changed by the deployment."""
    for name in COMMITTED:
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


class Terminal:
    """The user at the terminal: answers the secret prompts; everything printed is kept."""

    def __init__(self, answers: dict):
        self.answers, self.prompts, self.printed = answers, [], []

    def ask(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.answers[prompt.split()[0]]

    def say(self, text: str) -> None:
        self.printed.append(text)


def deploy_once(project, account, environ, answers=None) -> tuple[int, Terminal]:
    terminal = Terminal(answers or {})
    settings = deploy.read_settings(project, environ)
    assert settings.problems() == []
    code = deploy.Deployment(project, settings, account, ask=terminal.ask, say=terminal.say).run()
    return code, terminal


def test_a_fresh_account_gets_everything_once_with_secrets_only_on_stdin(project):
    account = ScriptedAccount(project)
    code, terminal = deploy_once(project, account, {**FILLED, "HANDOFF_MODE": "queue"}, SECRETS)
    assert code == 0, terminal.printed
    assert account.databases == {"lambert-inventory": DATABASE_ID}
    assert account.queues == set(configs.QUEUES)
    assert account.deployed == [configs.QUEUE_CONFIG, configs.SCRAPER_CONFIG]
    assert account.secrets == {
        "image-processor": SECRETS,
        "lambert-scraper": {"ADMIN_TOKEN": SECRETS["ADMIN_TOKEN"]},
    }
    # ADMIN_TOKEN is asked once for both Workers.
    assert [p.split()[0] for p in terminal.prompts] == ["CF_IMAGES_TOKEN", "ADMIN_TOKEN"]
    assert "ADMIN_TOKEN for both Workers" in terminal.prompts[1]
    order = [c[:2] for c in account.calls]
    assert order.index(("whoami", "--json")) == 0
    assert order.index(("d1", "migrations")) < order.index(("deploy", "-c"))
    for name in COMMITTED:
        written = configs.read(project / name)
        assert written["d1_databases"][0]["database_id"] == DATABASE_ID
        assert written["vars"]["CLOUDFLARE_ACCOUNT_ID"] == ACCOUNT_ID
    assert configs.read(project / configs.SCRAPER_CONFIG)["vars"]["HANDOFF_MODE"] == "queue"
    summary = "\n".join(terminal.printed)
    processor_url = f"{account.health.url}/image-processor"
    for line in (
        f"lambert-scraper   {account.health.url}/lambert-scraper",
        f"image-processor   {processor_url}",
        f"status endpoint   {processor_url}/api/image-status",
        f"admin panel       {processor_url}/admin",
        "✅ image-processor answers GET / (image-processor 0.1.0)",
    ):
        assert line in summary
    for secret in SECRETS.values():
        assert all(secret not in " ".join(call) for call in account.calls), "a secret on a command line"
        assert secret not in summary
        assert all(secret not in path.read_text() for path in project.iterdir())


def test_a_second_run_creates_nothing_asks_nothing_and_only_deploys_again(project):
    account = ScriptedAccount(project)
    deploy_once(project, account, {**FILLED, "HANDOFF_MODE": "queue"}, SECRETS)
    configs_after_first = {p.name: p.read_bytes() for p in project.iterdir()}
    changes_after_first, account.calls = account.calls_changing_things(), []
    code, terminal = deploy_once(project, account, {})  # the settings are in the configs now
    assert code == 0
    assert terminal.prompts == [] and account.calls_changing_things() == []
    assert account.deployed == [configs.QUEUE_CONFIG, configs.SCRAPER_CONFIG] * 2
    assert {p.name: p.read_bytes() for p in project.iterdir()} == configs_after_first
    assert len(changes_after_first) == 6  # 1 database, 2 queues, 3 secrets
    assert "✅ every secret is set already" in terminal.printed


def test_binding_mode_keeps_an_existing_database_and_touches_no_queue(project):
    account = ScriptedAccount(project)
    account.databases["lambert-inventory"] = DATABASE_ID
    code, terminal = deploy_once(project, account, FILLED, SECRETS)
    assert code == 0
    assert ("d1", "create", "lambert-inventory") not in account.calls
    assert not [c for c in account.calls if c[0] == "queues"] and account.queues == set()
    assert account.deployed == [configs.PROCESSOR_CONFIG, configs.SCRAPER_CONFIG]
    assert any("D1 database lambert-inventory exists" in line for line in terminal.printed)


def test_a_secret_set_on_one_worker_only_is_asked_for_the_other_as_the_same_value(project):
    account = ScriptedAccount(project)
    account.databases["lambert-inventory"] = DATABASE_ID
    account.secrets["image-processor"] = dict(SECRETS)
    code, terminal = deploy_once(project, account, FILLED, {"ADMIN_TOKEN": SECRETS["ADMIN_TOKEN"]})
    assert code == 0
    assert terminal.prompts == [
        "ADMIN_TOKEN for lambert-scraper, the value image-processor has "
        "(the Bearer token of the admin endpoints and the admin panel): "
    ]
    assert account.secrets["lambert-scraper"] == {"ADMIN_TOKEN": SECRETS["ADMIN_TOKEN"]}


def test_not_logged_in_stops_at_once_and_changes_nothing(project):
    account = ScriptedAccount(project, logged_in=False)
    before = {p.name: p.read_bytes() for p in project.iterdir()}
    with pytest.raises(deploy.DeployError, match="npx wrangler login"):
        deploy_once(project, account, FILLED)
    assert account.calls == [("whoami", "--json")]
    assert {p.name: p.read_bytes() for p in project.iterdir()} == before


def test_an_account_id_the_login_cannot_reach_stops_at_once(project):
    account = ScriptedAccount(project, accounts=("fedcba98" * 4,))
    with pytest.raises(deploy.DeployError, match=f"CLOUDFLARE_ACCOUNT_ID {ACCOUNT_ID} is not an account"):
        deploy_once(project, account, FILLED)
    assert account.calls == [("whoami", "--json")]


def test_the_urls_are_read_from_wranglers_output_file():
    lines = [
        {"type": "wrangler-session"},
        {
            "type": "deploy",
            "targets": ["https://image-processor.lambert.workers.dev", "schedule: */10 * * * *"],
        },
    ]
    assert deploy.deployed_urls("\n".join(json.dumps(line) for line in lines)) == [
        "https://image-processor.lambert.workers.dev"
    ]
    assert deploy.deployed_urls("") == []
