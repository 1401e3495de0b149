# --- shared by every notebook's locked setup cell (copy verbatim; tests/test_sources.py checks) ---
def find_data_dir() -> Path:
    """data/ sits beside notebooks/ and solutions/; the grader may point COURSE_DATA_DIR at it."""
    if os.environ.get("COURSE_DATA_DIR"):
        return Path(os.environ["COURSE_DATA_DIR"])
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / "data" / "README.md").is_file():
            return folder / "data"
    raise FileNotFoundError("No data/ folder found above " + str(Path.cwd())
                            + ": keep the notebook inside the course folder, beside data/.")


def _as_float_array(x) -> np.ndarray:
    """Tensors (any device, with or without grad), arrays, lists and scalars as a float64 array."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


def check_close(name: str, got, expected, atol: float = 1e-6, rtol: float = 1e-5, hint: str = "") -> None:
    """Compare `got` with `expected`; print exact / close / max difference, raise AssertionError if not close."""
    got_a, exp_a = _as_float_array(got), _as_float_array(expected)
    if got_a.shape != exp_a.shape:
        raise AssertionError(f"{name}: expected shape {exp_a.shape}, got shape {got_a.shape}. {hint}".strip())
    exact = bool(np.array_equal(got_a, exp_a))
    close = bool(np.allclose(got_a, exp_a, atol=atol, rtol=rtol))
    diff = float(np.max(np.abs(got_a - exp_a))) if got_a.size and np.all(np.isfinite(got_a)) else float("nan")
    if not close:
        shown_exp = np.array2string(exp_a, precision=6, threshold=8)
        shown_got = np.array2string(got_a, precision=6, threshold=8)
        raise AssertionError(f"{name}: expected {shown_exp}, got {shown_got} (max difference {diff:.3g}, "
                             f"tolerance atol={atol:g}, rtol={rtol:g}). {hint}".strip())
    print(f"{name:40s} exact: {exact!s:5} close: {close!s:5} max difference: {diff:.3g}")


def frozen(value):
    """What a graded function returned, as plain data (the grader freezes every answer before any
    reference exists): numbers and strings as Python's own types, arrays and tensors copied (dtype and
    shape kept), tuples, lists, dicts and sets rebuilt; anything else is an error the student can read."""
    import sys
    torch_module = sys.modules.get("torch")
    if value is None or type(value) in (bool, int, float, complex, str, bytes):
        return value
    if torch_module is not None and isinstance(value, torch_module.Tensor):
        tensor = value.detach().cpu()
        if tensor.dtype == torch_module.bfloat16:
            tensor = tensor.float()
        return torch_module.from_numpy(np.array(tensor.numpy(), copy=True, subok=False))
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError("returned an array of Python objects: return numbers (a float array)")
        return np.array(value, copy=True, subok=False)
    if isinstance(value, np.generic):
        return np.array(value, copy=True)[()]
    for kind in (bool, int, float, complex, str, bytes):
        if isinstance(value, kind):
            return kind(value)
    if isinstance(value, dict):
        return {frozen(key): frozen(item) for key, item in value.items()}
    for kind in (tuple, list, set, frozenset):
        if isinstance(value, kind):
            return kind(frozen(item) for item in value)
    raise TypeError(f"returned a {type(value).__name__}, which the tests cannot read: return numbers, arrays, "
                    "tensors, or tuples, lists and dicts of them")


class FinishFirst(Exception):
    """Raised by finish_first(): this cell needs an earlier part that is not written yet."""


def finish_first(parts: dict) -> None:
    """Call at the top of a cell that uses your earlier answers: it stops with the part to finish (not a traceback
    deep inside a stub). `parts` maps each function the cell uses to the part that asks for it."""
    unwritten: dict = {}                                   # part -> its unwritten functions, in the order given
    for name, part in parts.items():
        function = globals().get(name)
        code = getattr(function, "__code__", None)          # a stub is `raise NotImplementedError()`
        if function is None or (code is not None and "NotImplementedError" in code.co_names):
            unwritten.setdefault(part, []).append(f"`{name}`")
    missing = [f"{part} ({', '.join(names)})" for part, names in unwritten.items()]
    if missing:
        which = "which is not written yet: finish that part" if len(missing) == 1 else \
            "which are not written yet: finish those parts"
        raise FinishFirst(f"This cell uses your answer to {', '.join(missing)}, {which} first, then run this cell again.")
# --- end of shared helpers ---
