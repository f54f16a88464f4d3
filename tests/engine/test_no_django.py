import subprocess
import sys


def test_engine_imports_without_django():
    code = (
        "import sys, engine, engine.families, engine.__main__ as cli;"
        "engine.all_families();"
        "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.') or m.startswith('dlquiz')];"
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
