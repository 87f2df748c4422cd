"""What `serve --processes N` imports before it sets up the metrics its processes share."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_supervisor_path_does_not_import_prometheus_before_the_shared_metrics_folder_is_set() -> None:
    # prometheus_client picks its storage when it is first imported: the supervisor must set
    # PROMETHEUS_MULTIPROC_DIR before that, or each process would count only its own requests.
    probe = (
        "import sys\n"
        "from adapters.cli import main, processes\n"
        "from adapters.settings import Settings\n"
        "processes.check(Settings(DATABASE_URL='postgresql://x@127.0.0.1/x'), processes=2, socket_mode=False)\n"
        "print('prometheus_client' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
