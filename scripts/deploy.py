"""npm run deploy: both Workers live on a Cloudflare account, from a clone, in one command.

    npx wrangler login              once
    npm run deploy                  create what is missing, migrate, ask for secrets, deploy, check
    npm run deploy -- --dry-run     everything that needs no account, and the plan; creates nothing

Idempotent: what exists is kept (the D1 database, the queues, secrets already set), so the same
command deploys every later change. Settings are the [vars] of the two wrangler configs; a setting
given as an environment variable of the same name (SCRAPE_URL=https://... npm run deploy) is
written into the configs first. A placeholder or out-of-range setting stops it before anything is
created. Secrets are asked for without echo and handed to `wrangler secret put` on its stdin:
never on a command line, never in a file, never printed.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
from inventory.config import settings_of  # noqa: E402
from inventory.settings_check import WORKERS, check_settings  # noqa: E402
from scripts import setup as project_setup  # noqa: E402  (node, the offline wrangler environment)
from scripts import wrangler_config as configs  # noqa: E402

SCRAPER, PROCESSOR = "lambert-scraper", "image-processor"
CONFIG_OF = {PROCESSOR: configs.PROCESSOR_CONFIG, SCRAPER: configs.SCRAPER_CONFIG}
LOCAL_ONLY = ("LOCAL_DEV_PROFILE",)  # the local launcher's; never taken from the environment
DEPLOY_ORDER = (PROCESSOR, SCRAPER)  # the scraper's service binding needs the processor first
SECRET_MEANING = {
    "CF_IMAGES_TOKEN": "a Cloudflare API token with Images: Edit",
    "ADMIN_TOKEN": "the Bearer token of the admin endpoints and the admin panel",
    "WEBHOOK_SECRET": "the HMAC key that signs the webhooks",
}
SHARED_SETTINGS = ("CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_IMAGES_ACCOUNT_HASH")  # one account, both Workers
HEALTH_WAIT_S = 90  # a first workers.dev deploy can take a minute to answer


class DeployError(Exception):
    """A step failed; the message says which and what to do."""


# --- settings ------------------------------------------------------------------------------------


@dataclass
class Settings:
    vars: dict[str, dict[str, str]]  # Worker -> its [vars], with the environment's values applied
    from_environment: dict[str, str]  # setting -> value given as an environment variable

    def queue_mode(self) -> bool:
        return self.vars[SCRAPER].get("HANDOFF_MODE") == "queue"

    def problems(self) -> list[tuple[str, dict]]:
        found = [
            (worker, problem)
            for worker in DEPLOY_ORDER
            for problem in check_settings(worker, self.vars[worker])
        ]
        for name in SHARED_SETTINGS:
            if self.vars[SCRAPER].get(name) != self.vars[PROCESSOR].get(name):
                found.append((SCRAPER, {"setting": name, "reason": f"differs from {PROCESSOR}'s"}))
        return found

    def given_for(self, worker: str) -> dict[str, str]:
        return {k: v for k, v in self.from_environment.items() if k in deployable_settings(worker)}

    def secrets_needed(self) -> dict[str, list[str]]:
        processor = self.vars[PROCESSOR]
        needed = ["CF_IMAGES_TOKEN"] if processor.get("UPLOAD_MODE", "url") != "binding" else []
        needed.append("ADMIN_TOKEN")
        if processor.get("WEBHOOK_URL"):
            needed.append("WEBHOOK_SECRET")
        return {PROCESSOR: needed, SCRAPER: ["ADMIN_TOKEN"]}


def deployable_settings(worker: str) -> list[str]:
    """The plain settings of a Worker that a deployment may set ([vars], or the environment)."""
    return [s.name for s in settings_of(WORKERS[worker]) if not s.secret and s.name not in LOCAL_ONLY]


def read_settings(root: Path, environ: dict) -> Settings:
    wanted = {name for worker in CONFIG_OF for name in deployable_settings(worker)}
    given = {name: value for name, value in environ.items() if name in wanted}
    found = {}
    for worker, config in CONFIG_OF.items():
        declared = {k: str(v) for k, v in configs.read(root / config).get("vars", {}).items()}
        found[worker] = {**declared, **{k: v for k, v in given.items() if k in deployable_settings(worker)}}
    return Settings(found, given)


def problems_text(problems: list[tuple[str, dict]]) -> str:
    lines = [f"  {worker:<16} {p['setting']} {p['reason']}" for worker, p in problems]
    return "\n".join(
        [
            "Settings to fix first (nothing was created):",
            *lines,
            f"Set each in the [vars] of {configs.SCRAPER_CONFIG} / {configs.PROCESSOR_CONFIG}, or give it as",
            "an environment variable of the same name (SCRAPE_URL=https://... npm run deploy).",
            "What each setting means: README, Configuration.",
        ]
    )


def plan(settings: Settings, root: Path) -> list[str]:
    steps = ["check the wrangler login and that CLOUDFLARE_ACCOUNT_ID is one of its accounts"]
    if settings.from_environment:
        steps.append(f"write {', '.join(settings.from_environment)} (from the environment) into the [vars]")
    migrations = ", ".join(p.name for p in sorted((root / "migrations").glob("*.sql")))
    steps += [
        f"D1 database {database_name(root)}: keep it if the account has one by that name, else "
        "create it; write its id into both configs",
        f"apply those of the migrations ({migrations}) it has not applied yet "
        "(wrangler d1 migrations apply --remote)",
    ]
    if settings.queue_mode():
        steps.append(f"queues {', '.join(configs.QUEUES)}: create those missing (HANDOFF_MODE is queue)")
    for worker, names in settings.secrets_needed().items():
        steps.append(f"{worker}: ask for each secret not set yet, of {', '.join(names)}")
    for worker in DEPLOY_ORDER:
        steps.append(f"deploy {worker} ({deploy_config_name(settings, worker)}), then set its new secrets")
    steps.append("call GET / on both Workers; print their URLs, the status endpoint and the admin panel")
    return steps


def database_name(root: Path) -> str:
    return configs.read(root / configs.SCRAPER_CONFIG)["d1_databases"][0]["database_name"]


def deploy_config_name(settings: Settings, worker: str) -> str:
    return configs.QUEUE_CONFIG if worker == PROCESSOR and settings.queue_mode() else CONFIG_OF[worker]


def parse_json(output: str):
    """The JSON value in wrangler's output: the first line that starts one (warnings, such as
    "▲ [WARNING] ...", may come before it)."""
    offset = 0
    for line in output.splitlines(keepends=True):
        if line.startswith(("[", "{")):
            try:
                return json.JSONDecoder().raw_decode(output[offset:])[0]
            except ValueError:
                pass
        offset += len(line)
    raise DeployError(f"no JSON in wrangler's answer:\n{output[-2000:]}")


# --- wrangler ------------------------------------------------------------------------------------


class Wrangler:
    """The project's wrangler, run against the account the user logged in to."""

    def __init__(self, root: Path, account_id: str):
        self.root = root
        self.env = {
            **os.environ,
            "PATH": f"{project_setup.NODE_BIN}:{os.environ['PATH']}",
            "WRANGLER_SEND_METRICS": "false",
            "CLOUDFLARE_ACCOUNT_ID": account_id,
        }

    def _command(self, args) -> list[str]:
        return [str(self.root / "node_modules" / ".bin" / "wrangler"), *args]

    def read(self, *args: str) -> tuple[int, str]:
        """Run without a terminal; (exit code, its output) for the caller to read."""
        done = subprocess.run(
            self._command(args),
            cwd=self.root,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        return done.returncode, done.stdout + done.stderr

    def show(
        self,
        *args: str,
        input_text: str | None = None,
        interactive: bool = False,
        extra_env: dict | None = None,
    ) -> int:
        """Run with its output on the terminal. `input_text` goes to its stdin (a secret: never argv);
        `interactive` lets it ask the user (otherwise it runs as in CI, taking its defaults)."""
        if input_text is not None:
            stdin = {"input": input_text}
        else:
            stdin = {"stdin": None if interactive else subprocess.DEVNULL}
        done = subprocess.run(
            self._command(args), cwd=self.root, env={**self.env, **(extra_env or {})}, text=True, **stdin
        )
        return done.returncode


# --- the real deployment -------------------------------------------------------------------------


class Deployment:
    def __init__(self, root: Path, settings: Settings, wrangler, ask=getpass.getpass, say=print):
        self.root, self.settings, self.wrangler, self.ask, self.say = root, settings, wrangler, ask, say

    def run(self) -> int:
        self.check_login()
        self.write_given_settings()
        self.write_database_id(self.database_id())
        self.must(
            self.wrangler.show("d1", "migrations", "apply", "DB", "--remote", "-c", configs.SCRAPER_CONFIG),
            "applying the migrations",
        )
        if self.settings.queue_mode():
            self.create_missing_queues()
        secrets = self.ask_missing_secrets()
        urls = {worker: self.deploy(worker, secrets[worker]) for worker in DEPLOY_ORDER}
        return self.report(urls)

    def must(self, code: int, what: str) -> None:
        if code != 0:
            raise DeployError(f"{what} failed (wrangler exited {code}); see its output above")

    def write_given_settings(self) -> None:
        for worker, config in CONFIG_OF.items():
            path, given = self.root / config, self.settings.given_for(worker)
            text = path.read_text()
            for name, value in given.items():
                text = configs.set_var(text, name, value)
            if configs.write_if_changed(path, text):
                self.say(f"✏️  {config}: wrote {', '.join(given)}")

    def check_login(self) -> None:
        code, output = self.wrangler.read("whoami", "--json")
        if code != 0:
            raise DeployError("not logged in to Cloudflare: run `npx wrangler login`, then `npm run deploy`")
        user = parse_json(output)
        accounts = [account.get("id") for account in user.get("accounts") or []]
        wanted = self.settings.vars[PROCESSOR]["CLOUDFLARE_ACCOUNT_ID"]
        if accounts and wanted not in accounts:
            raise DeployError(
                f"CLOUDFLARE_ACCOUNT_ID {wanted} is not an account of the logged-in user "
                f"(its accounts: {', '.join(accounts)})"
            )
        self.say(f"✅ logged in as {user.get('email') or 'an API token'}")

    def find_database(self, name: str) -> str | None:
        code, output = self.wrangler.read("d1", "list", "--json")
        if code != 0:
            raise DeployError(f"wrangler d1 list failed:\n{output[-2000:]}")
        return next((db["uuid"] for db in parse_json(output) if db.get("name") == name), None)

    def database_id(self) -> str:
        name = database_name(self.root)
        found = self.find_database(name)
        if found:
            self.say(f"✅ D1 database {name} exists ({found}): kept")
            return found
        self.must(self.wrangler.show("d1", "create", name), f"creating the D1 database {name}")
        created = self.find_database(name)
        if not created:
            raise DeployError(f"wrangler d1 create {name} succeeded but d1 list does not show it")
        self.say(f"✅ D1 database {name} created ({created})")
        return created

    def write_database_id(self, database_id: str) -> None:
        for config in CONFIG_OF.values():
            path = self.root / config
            if configs.write_if_changed(path, configs.set_database_id(path.read_text(), database_id)):
                self.say(f"✏️  {config}: wrote database_id {database_id}")

    def create_missing_queues(self) -> None:
        for queue in configs.QUEUES:
            code, output = self.wrangler.read("queues", "info", queue)
            if code == 0:
                self.say(f"✅ queue {queue} exists: kept")
                continue
            if "does not exist" not in output:
                raise DeployError(f"wrangler queues info {queue} failed:\n{output[-2000:]}")
            self.must(self.wrangler.show("queues", "create", queue), f"creating the queue {queue}")

    def secrets_set(self, worker: str) -> set[str]:
        code, output = self.wrangler.read("secret", "list", "-c", CONFIG_OF[worker])
        if code == 0:
            return {secret["name"] for secret in parse_json(output)}
        if "not found" in output:  # not deployed yet: it has no secrets
            return set()
        raise DeployError(f"wrangler secret list for {worker} failed:\n{output[-2000:]}")

    def ask_missing_secrets(self) -> dict[str, dict[str, str]]:
        """Worker -> {secret: value} for the secrets it lacks; a secret both lack is asked once."""
        needed = self.settings.secrets_needed()
        missing = {w: [n for n in needed[w] if n not in self.secrets_set(w)] for w in DEPLOY_ORDER}
        values: dict[str, str] = {}
        for worker in DEPLOY_ORDER:
            for name in missing[worker]:
                if name not in values:
                    values[name] = self.ask_secret(name, secret_prompt(name, needed, missing))
        if not values:
            self.say("✅ every secret is set already")
        return {w: {n: values[n] for n in missing[w]} for w in DEPLOY_ORDER}

    def ask_secret(self, name: str, prompt: str) -> str:
        for _ in range(3):
            value = self.ask(prompt).strip()
            if value:
                return value
            self.say("   (empty: try again)")
        raise DeployError(f"no value given for {name}: nothing more was deployed")

    def deploy(self, worker: str, secrets: dict[str, str]) -> str | None:
        """Deploy a Worker, then set the secrets it lacked; its workers.dev URL (None when it has none)."""
        config = deploy_config_name(self.settings, worker)
        if config == configs.QUEUE_CONFIG:
            configs.write_queue_config(self.root)
        with tempfile.TemporaryDirectory(prefix="lambert-deploy-") as scratch:
            output_file = Path(scratch) / "wrangler-output.ndjson"
            self.must(
                self.wrangler.show(
                    "deploy",
                    "-c",
                    config,
                    interactive=True,
                    extra_env={"WRANGLER_OUTPUT_FILE_PATH": str(output_file)},
                ),
                f"deploying {worker}",
            )
            urls = deployed_urls(output_file.read_text() if output_file.exists() else "")
        for name, value in secrets.items():
            self.must(
                self.wrangler.show("secret", "put", name, "-c", config, input_text=value),
                f"setting {name} on {worker}",
            )
        return urls[0] if urls else None

    def report(self, urls: dict[str, str | None]) -> int:
        healthy = all([self.check_health(worker, url) for worker, url in urls.items()])
        processor = urls.get(PROCESSOR) or "<image-processor URL>"
        self.say(
            "\n".join(
                [
                    "",
                    f"lambert-scraper   {urls.get(SCRAPER) or '(no workers.dev URL)'}",
                    f"image-processor   {urls.get(PROCESSOR) or '(no workers.dev URL)'}",
                    f"status endpoint   {processor}/api/image-status",
                    f"admin panel       {processor}/admin",
                    f'a first scrape    curl -X POST -H "Authorization: Bearer $ADMIN_TOKEN" '
                    f"{urls.get(SCRAPER) or '<lambert-scraper URL>'}/api/scrape",
                    f"Commit {configs.SCRAPER_CONFIG} and {configs.PROCESSOR_CONFIG}: they hold the "
                    "database id "
                    "and the settings deployed.",
                ]
            )
        )
        return 0 if healthy else 1

    def check_health(self, worker: str, url: str | None) -> bool:
        if not url:
            self.say(f"⚠️  {worker}: wrangler reported no workers.dev URL; check its routes in the dashboard")
            return False
        try:
            answer = get_json(url + "/", HEALTH_WAIT_S)
        except DeployError as error:
            self.say(f"❌ {worker}: {error}")
            return False
        unset = [name for name, is_set in (answer.get("secrets") or {}).items() if not is_set]
        self.say(
            f"✅ {worker} answers GET / ({answer.get('service')} {answer.get('version')})"
            + (f"; secrets not set: {', '.join(unset)}" if unset else "")
        )
        return True


def secret_prompt(name: str, needed: dict, missing: dict) -> str:
    lacking = [w for w in DEPLOY_ORDER if name in missing[w]]
    having = [w for w in DEPLOY_ORDER if name in needed[w] and w not in lacking]
    whose = "both Workers" if len(lacking) > 1 else lacking[0]
    same = f", the value {having[0]} has" if having else ""
    return f"{name} for {whose}{same} ({SECRET_MEANING[name]}): "


def deployed_urls(ndjson: str) -> list[str]:
    """The URLs `wrangler deploy` reported (its WRANGLER_OUTPUT_FILE_PATH lines of type "deploy")."""
    entries = [json.loads(line) for line in ndjson.splitlines() if line.strip()]
    targets = [t for e in entries if e.get("type") == "deploy" for t in e.get("targets") or []]
    return [t.rstrip("/") for t in targets if t.startswith(("https://", "http://"))]


def get_json(url: str, wait_s: float) -> dict:
    """GET a JSON answer, trying again until it answers 200 or `wait_s` have passed."""
    deadline, last = time.time() + wait_s, "no answer"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=15) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as error:
            last = f"HTTP {error.code}"
        except (OSError, ValueError) as error:
            last = f"{type(error).__name__}: {error}"
        if time.time() >= deadline:
            raise DeployError(f"GET {url} did not answer 200 within {wait_s:.0f} s ({last}); try it later")
        time.sleep(3)


# --- the dry run ---------------------------------------------------------------------------------


def dry_run(root: Path, settings: Settings, say=print) -> int:
    """What needs no account: the migrations apply to an empty database, and both Workers bundle."""
    with tempfile.TemporaryDirectory(prefix="lambert-dry-run-") as scratch:
        project_setup.apply_migrations(Path(scratch) / "state")
        say("✅ the migrations apply to an empty local database")
        for worker in DEPLOY_ORDER:
            say(f"✅ {worker} bundles (wrangler deploy --dry-run): {bundle(root, settings, worker, scratch)}")
    say("Dry run done: nothing was created or deployed, and the committed configs are unchanged.")
    return 0


def bundle(root: Path, settings: Settings, worker: str, outdir: str) -> str:
    config = deploy_config_name(settings, worker)
    if config == configs.QUEUE_CONFIG:
        configs.write_queue_config(root)
    given = [arg for k, v in settings.given_for(worker).items() for arg in ("--var", f"{k}:{v}")]
    command = [
        str(root / "node_modules" / ".bin" / "wrangler"),
        "deploy",
        "--dry-run",
        "-c",
        config,
        "--outdir",
        str(Path(outdir) / worker),
        *given,
    ]
    done = subprocess.run(
        command,
        cwd=root,
        env=project_setup.wrangler_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    output = done.stdout + done.stderr
    if done.returncode != 0 or "--dry-run: exiting now." not in output:
        raise DeployError(f"wrangler deploy --dry-run -c {config} failed:\n{output[-3000:]}")
    return next((line.strip() for line in output.splitlines() if line.startswith("Total Upload")), "ok")


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="npm run deploy --", description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="do what needs no account and print the plan")
    args = parser.parse_args(argv)
    settings = read_settings(ROOT, dict(os.environ))
    problems = settings.problems()
    if problems:
        print(problems_text(problems), file=sys.stderr)
        return 2
    print("Plan" + (" (dry run)" if args.dry_run else "") + ":")
    print("\n".join(f"  {n}. {step}" for n, step in enumerate(plan(settings, ROOT), 1)), flush=True)
    try:
        if args.dry_run:
            return dry_run(ROOT, settings)
        account = settings.vars[PROCESSOR]["CLOUDFLARE_ACCOUNT_ID"]
        return Deployment(ROOT, settings, Wrangler(ROOT, account)).run()
    except (DeployError, RuntimeError) as error:
        print(f"❌ {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped. What was done so far stays; npm run deploy again carries on.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
