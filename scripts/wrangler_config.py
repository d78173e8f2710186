"""The two wrangler configs as text: read them, change a setting or the database id in place (the
comments stay), and write the image processor's queue-mode config.

Queue mode's queues are declared only in a generated, git-ignored config next to the committed one
(wrangler finds python_modules/ next to the config it is given). A wrangler environment would not
do: environments inherit no bindings and no vars, so it would repeat the whole file.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRAPER_CONFIG = "wrangler-scraper.toml"
PROCESSOR_CONFIG = "wrangler-image-processor.toml"
QUEUE_CONFIG = "wrangler-image-processor.queue.toml"
QUEUES = ("image-jobs", "image-jobs-dlq")
QUEUE_SECTIONS = """
# Queue mode (HANDOFF_MODE = "queue" on the scraper): image jobs, one message per vehicle, and the
# dead-letter queue whose consumer records the photos of a job that kept failing.
[[queues.producers]]
binding = "IMAGE_JOBS"
queue = "image-jobs"

[[queues.consumers]]
queue = "image-jobs"
max_batch_size = 10
max_batch_timeout = 1
max_retries = 3
dead_letter_queue = "image-jobs-dlq"

[[queues.consumers]]
queue = "image-jobs-dlq"
max_batch_size = 10
max_batch_timeout = 1
"""
QUEUE_HEADER = f"""# GENERATED (scripts/wrangler_config.py, git-ignored): {PROCESSOR_CONFIG} plus the queues.
# Edit {PROCESSOR_CONFIG}, not this file: the local stack and `npm run deploy` in queue mode
# write it again.
"""


def read(path: Path) -> dict:
    return tomllib.loads(path.read_text())


def toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _section_bounds(lines: list[str], header: str) -> tuple[int, int]:
    """(first line after `header`, the line where the next table starts) of a TOML table."""
    start = next((n + 1 for n, line in enumerate(lines) if line.strip() == header), None)
    if start is None:
        raise ValueError(f"no {header} table")
    end = next((n for n in range(start, len(lines)) if lines[n].lstrip().startswith("[")), len(lines))
    return start, end


def _replace_value(line: str, value: str) -> str:
    """The line `KEY = "old"   # comment` with the new value; the comment stays."""
    match = re.match(r"""(\s*[\w-]+\s*=\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^#\s]+)(.*)""", line)
    if not match:
        raise ValueError(f"cannot read the value of: {line}")
    return match.group(1) + toml_string(value) + match.group(3)


def set_var(text: str, name: str, value: str) -> str:
    """The config text with [vars] NAME = value (replaced in place, or added at the table's end)."""
    lines = text.split("\n")
    start, end = _section_bounds(lines, "[vars]")
    key = re.compile(rf"\s*{re.escape(name)}\s*=")
    found = next((n for n in range(start, end) if key.match(lines[n])), None)
    if found is not None:
        lines[found] = _replace_value(lines[found], value)
    else:
        settings = [n for n in range(start, end) if "=" in lines[n] and not lines[n].lstrip().startswith("#")]
        lines.insert(max(settings, default=start - 1) + 1, f"{name} = {toml_string(value)}")
    changed = "\n".join(lines)
    if tomllib.loads(changed)["vars"].get(name) != value:
        raise ValueError(f"writing {name} did not give the value asked for")
    return changed


def set_database_id(text: str, database_id: str) -> str:
    """The config text with its D1 database's id replaced (the line's comment stays)."""
    changed = re.sub(r"(?m)^database_id\s*=.*$", lambda m: _replace_value(m.group(0), database_id), text)
    if [db["database_id"] for db in tomllib.loads(changed)["d1_databases"]] != [database_id]:
        raise ValueError("the config must bind exactly one D1 database")
    return changed


def write_if_changed(path: Path, text: str) -> bool:
    """Write atomically, and only when the text differs: wrangler dev restarts a Worker whose config
    file is touched, so rewriting the same text would restart every stack running on it."""
    if path.exists() and path.read_text() == text:
        return False
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    scratch.write_text(text)
    os.replace(scratch, path)
    return True


def queue_config_text(processor_text: str) -> str:
    return QUEUE_HEADER + processor_text.rstrip("\n") + "\n" + QUEUE_SECTIONS


def write_queue_config(root: Path = ROOT) -> Path:
    """The image processor's config with its queues, next to the committed one; its path."""
    target = root / QUEUE_CONFIG
    write_if_changed(target, queue_config_text((root / PROCESSOR_CONFIG).read_text()))
    return target
