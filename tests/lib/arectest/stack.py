"""Start/finish of a tests/stack stack for pytest fixtures: fails on a dead daemon or a bad down."""
import os


def start(stack, cleanup_on_failure=False):
    """stack.up(); on failure take down what did start (and drop its directory if asked)."""
    try:
        stack.up()
    except Exception:
        stack.down()
        if cleanup_on_failure:
            stack.cleanup()
        raise
    return stack


def finish(stack):
    """Take the stack down; gatewayd must have survived and down (sanitizer check) succeed."""
    alive = stack.alive()
    rc, out = stack.down()
    try:
        assert alive, "gatewayd died during the tests; log:\n" + stack.log()[-4000:]
        assert rc == 0, "tests/stack down failed:\n" + out
    finally:
        stack.cleanup()


def module_stack(make, request, env_attrs=()):
    """Body of a module-scoped `stack` fixture (use with `yield from`): make(*STACK_OPTS) of
    the test module, started; each name in env_attrs that the module sets (e.g. RECORDER_OPTS)
    is in the environment while the stack starts, as the stack.d components read it."""
    saved = {}
    for name in env_attrs:
        val = getattr(request.module, name, None)
        if val is not None:
            saved[name] = os.environ.get(name)
            os.environ[name] = val
    try:
        s = start(make(*getattr(request.module, "STACK_OPTS", ())))
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old
    yield s
    finish(s)
