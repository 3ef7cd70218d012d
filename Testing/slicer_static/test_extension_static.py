"""Static guards for the Slicer extension: what a Slicer build or a module load would trip over, checked
without Slicer (CMake lists, .ui files, module source parsed with ast)."""

from __future__ import annotations

import ast
import fnmatch
import py_compile
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = ("AxSpAScoring", "HipInflammation")
EXTENSION_KEYS = ("EXTENSION_HOMEPAGE", "EXTENSION_CATEGORY", "EXTENSION_CONTRIBUTORS",
                  "EXTENSION_DESCRIPTION", "EXTENSION_ICONURL", "EXTENSION_SCREENSHOTURLS",
                  "EXTENSION_DEPENDS")
# Widget classes that parameterNodeWrapper can bind to each parameter type (Slicer's GUI connectors).
CONNECTORS = {"float": {"ctkSliderWidget", "QDoubleSpinBox", "ctkDoubleSpinBox", "ctkDoubleSlider"},
              "int": {"QSpinBox", "QSlider"}, "str": {"QComboBox", "ctkComboBox", "QLineEdit"},
              "bool": {"QCheckBox", "ctkCheckBox"}, "node": {"qMRMLNodeComboBox"}}
PIP_CALLS = {"pip_install", "pip_ensure", "installTorch", "ensure_packages", "ensure_torch"}


# ------------------------------------------------------------------------------------------------ helpers

def cmake_text(path: Path) -> str:
    """CMake source without comments (a '#' inside a quoted string is kept)."""
    lines = []
    for line in path.read_text().splitlines():
        out, quoted = [], False
        for ch in line:
            if ch == '"':
                quoted = not quoted
            if ch == "#" and not quoted:
                break
            out.append(ch)
        lines.append("".join(out))
    return "\n".join(lines)


def cmake_calls(text: str, command: str) -> list[list[str]]:
    """Arguments of every call of ``command`` (quoted arguments unquoted)."""
    calls = []
    for match in re.finditer(rf"\b{command}\s*\(([^)]*)\)", text, flags=re.IGNORECASE):
        calls.append([a.strip('"') for a in re.findall(r'"[^"]*"|[^\s"]+', match.group(1))])
    return calls


def cmake_list(text: str, variable: str, module: str) -> list[str]:
    [args] = [c for c in cmake_calls(text, "set") if c and c[0] == variable]
    return [a.replace("${MODULE_NAME}", module) for a in args[1:]]


def module_tree(module: str) -> ast.Module:
    path = REPO / module / f"{module}.py"
    return ast.parse(path.read_text(), filename=str(path))


def module_sources(module: str) -> list[Path]:
    return sorted(p for p in (REPO / module).rglob("*.py") if "__pycache__" not in p.parts)


def ui_root(module: str) -> ET.Element:
    return ET.parse(REPO / module / "Resources" / "UI" / f"{module}.ui").getroot()


def ui_widgets(module: str) -> dict[str, ET.Element]:
    return {w.get("name"): w for w in ui_root(module).iter("widget")}


def classes(tree: ast.Module) -> dict[str, ast.ClassDef]:
    return {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}


def name_of(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return name_of(node.func)
    if isinstance(node, ast.Subscript):
        return name_of(node.value)
    return ""


def import_time_nodes(tree: ast.AST):
    """Every node that runs when the file is imported: all but function and lambda bodies."""
    stack = list(ast.iter_child_nodes(tree))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def parameter_fields(module: str) -> dict[str, str]:
    """Parameter name -> 'float' | 'int' | 'str' | 'bool' | 'node:<class>' from the ParameterNode."""
    cls = classes(module_tree(module))[f"{module}ParameterNode"]
    fields = {}
    for stmt in cls.body:
        if isinstance(stmt, ast.AnnAssign):
            annotation = stmt.annotation
            if name_of(annotation) == "Annotated":
                annotation = annotation.slice.elts[0]
            kind = name_of(annotation)
            fields[stmt.target.id] = f"node:{kind}" if kind.startswith("vtkMRML") else kind
    return fields


# --------------------------------------------------------------------------------------------- top level

def test_top_level_cmake_declares_the_extension():
    text = cmake_text(REPO / "CMakeLists.txt")
    values = {c[0]: c[1:] for c in cmake_calls(text, "set") if c}
    for key in EXTENSION_KEYS:
        assert values.get(key) and values[key][0].strip(), f"{key} is not set"
    assert values["EXTENSION_CATEGORY"] == ["Quantification"]
    assert "PyTorch" in values["EXTENSION_DEPENDS"][0].split()
    assert values["EXTENSION_ICONURL"][0].endswith(".png")
    assert cmake_calls(text, "cmake_minimum_required") and ["SlicerAxSpA"] in cmake_calls(text, "project")
    assert ["Slicer", "REQUIRED"] in cmake_calls(text, "find_package")
    includes = [c[0] for c in cmake_calls(text, "include")]
    assert includes[0] == "${Slicer_USE_FILE}"
    assert includes[-2:] == ["${Slicer_EXTENSION_GENERATE_CONFIG}", "${Slicer_EXTENSION_CPACK}"]
    # The extension config is generated after every module is added.
    assert text.index("add_subdirectory") < text.index("Slicer_EXTENSION_GENERATE_CONFIG")


def test_top_level_cmake_adds_every_module():
    text = cmake_text(REPO / "CMakeLists.txt")
    added = {c[0] for c in cmake_calls(text, "add_subdirectory")}
    with_cmake = {p.parent.name for p in REPO.glob("*/CMakeLists.txt")}
    assert added == set(MODULES) == with_cmake


def _glob_patterns(text: str, variable: str) -> list[str]:
    calls = [c for c in cmake_calls(text, "file") if len(c) > 1 and c[1] == variable]
    assert calls, f"no file(GLOB...) for {variable}"
    return [a for a in calls[0][2:] if a not in ("RELATIVE", "${CMAKE_CURRENT_SOURCE_DIR}", "CONFIGURE_DEPENDS")]


def test_engine_package_and_resources_are_installed():
    """Every engine module and schema, and the shared resources, go into the extension."""
    text = cmake_text(REPO / "CMakeLists.txt")
    [call] = [c for c in cmake_calls(text, "ctkMacroCompilePythonScript")]
    assert "${AXSPA_ENGINE_SCRIPTS}" in call and "${AXSPA_ENGINE_RESOURCES}" in call
    assert "${Slicer_INSTALL_QTSCRIPTEDMODULES_LIB_DIR}" in call and "NO_INSTALL_SUBDIR" in call
    scripts = _glob_patterns(text, "AXSPA_ENGINE_SCRIPTS")
    resources = _glob_patterns(text, "AXSPA_ENGINE_RESOURCES")

    def covered(rel: str, patterns: list[str]) -> bool:
        # GLOB_RECURSE: '*' may cross folders.
        return any(fnmatch.fnmatch(rel, p) for p in patterns)

    for path in (REPO / "axspa").rglob("*.py"):
        rel = path.relative_to(REPO).as_posix()
        if "__pycache__" not in rel:
            assert covered(rel, scripts), f"{rel} would not be installed"
    for path in (REPO / "axspa" / "schemas").glob("*.json"):
        assert covered(path.relative_to(REPO).as_posix(), resources)
    # Model bundles and sample data (any file, in sub-folders too) and the shared icons.
    assert covered("Resources/Models/spine-corners/bundle.json", resources)
    assert covered("Resources/SampleData/manifest.json", resources)
    assert covered("Resources/Icons/SlicerAxSpA.png", resources)


def test_extension_icon_is_128_png():
    from PIL import Image

    with Image.open(REPO / "Resources" / "Icons" / "SlicerAxSpA.png") as icon:
        assert icon.format == "PNG" and icon.size == (128, 128)


# ----------------------------------------------------------------------------------------------- modules

@pytest.mark.parametrize("module", MODULES)
def test_module_cmake_lists_exactly_the_module_files(module):
    folder = REPO / module
    text = cmake_text(folder / "CMakeLists.txt")
    names = [c for c in cmake_calls(text, "set") if c and c[0] == "MODULE_NAME"]
    assert names == [["MODULE_NAME", module]]
    scripts = cmake_list(text, "MODULE_PYTHON_SCRIPTS", module)
    resources = cmake_list(text, "MODULE_PYTHON_RESOURCES", module)
    for rel in scripts + resources:
        assert (folder / rel).is_file(), f"{module}/CMakeLists.txt lists missing {rel}"
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*")
               if p.suffix in (".py", ".ui", ".png") and "__pycache__" not in p.parts
               and p.relative_to(folder).parts[0] != "Testing"}
    assert on_disk == set(scripts) | set(resources), "files not listed in (or listed but not in) CMake"
    assert f"{module}.py" in scripts


@pytest.mark.parametrize("module", MODULES)
def test_module_cmake_builds_and_registers_tests(module):
    text = cmake_text(REPO / module / "CMakeLists.txt")
    build = re.search(r"slicerMacroBuildScriptedModule\s*\((.*?)\)", text, re.S).group(1).split()
    for keyword, value in (("NAME", "${MODULE_NAME}"), ("SCRIPTS", "${MODULE_PYTHON_SCRIPTS}"),
                           ("RESOURCES", "${MODULE_PYTHON_RESOURCES}")):
        assert build[build.index(keyword) + 1] == value
    assert "WITH_GENERIC_TESTS" in build
    testing = re.search(r"if\s*\(\s*BUILD_TESTING\s*\)(.*?)endif", text, re.S | re.I)
    assert testing, "tests must be registered inside if(BUILD_TESTING)"
    assert ["SCRIPT", "${MODULE_NAME}.py"] in cmake_calls(testing.group(1), "slicer_add_python_unittest")
    for sub in (c[0] for c in cmake_calls(testing.group(1), "add_subdirectory")):
        sub_text = cmake_text(REPO / module / sub / "CMakeLists.txt")
        for call in cmake_calls(sub_text, "slicer_add_python_unittest"):
            script = call[call.index("SCRIPT") + 1].replace("${MODULE_NAME}", module)
            assert (REPO / module / sub / script).is_file()


@pytest.mark.parametrize("module", MODULES)
def test_module_icon_is_png(module):
    from PIL import Image

    with Image.open(REPO / module / "Resources" / "Icons" / f"{module}.png") as icon:
        assert icon.format == "PNG" and icon.size[0] == icon.size[1] >= 64


@pytest.mark.parametrize("module", MODULES)
def test_module_sources_compile_and_load_nothing_heavy(module):
    for path in module_sources(module):
        py_compile.compile(str(path), doraise=True)
        tree = ast.parse(path.read_text(), filename=str(path))
        imported = imported_packages(tree)
        assert "imp" not in imported, f"{path}: the 'imp' module is gone from Python 3.12"
        assert "torch" not in imported, f"{path}: torch is only loaded by the engine's model code"
        for node in import_time_nodes(tree):
            if isinstance(node, ast.Call):
                assert name_of(node) not in PIP_CALLS, \
                    f"{path}:{node.lineno}: package installation at import time"
            assert not isinstance(node, (ast.Import, ast.ImportFrom)) or not (
                {a.name.split(".")[0] for a in node.names} & {"torch", "monai", "axspa"}
                if isinstance(node, ast.Import) else
                (node.module or "").split(".")[0] in {"torch", "monai", "axspa"}), \
                f"{path}:{node.lineno}: engine/model packages are imported lazily, not when Slicer starts"


@pytest.mark.parametrize("module", MODULES)
def test_module_classes_follow_the_template(module):
    tree = module_tree(module)
    found = classes(tree)
    bases = {name: {name_of(b) for b in cls.bases} for name, cls in found.items()}
    assert "ScriptedLoadableModule" in bases[module]
    assert {"ScriptedLoadableModuleWidget", "VTKObservationMixin"} <= bases[f"{module}Widget"]
    assert "ScriptedLoadableModuleLogic" in bases[f"{module}Logic"]
    assert "ScriptedLoadableModuleTest" in bases[f"{module}Test"]
    wrapper = found[f"{module}ParameterNode"]
    assert [name_of(d) for d in wrapper.decorator_list] == ["parameterNodeWrapper"]
    # The logic hands out the typed wrapper, so the GUI binding and console use see the same fields.
    get = next(f for f in found[f"{module}Logic"].body
               if isinstance(f, ast.FunctionDef) and f.name == "getParameterNode")
    assert any(isinstance(n, ast.Call) and name_of(n) == f"{module}ParameterNode" for n in ast.walk(get))
    test_methods = [f.name for f in found[f"{module}Test"].body
                    if isinstance(f, ast.FunctionDef) and f.name.startswith("test_")]
    run_test = next(f for f in found[f"{module}Test"].body if getattr(f, "name", "") == "runTest")
    called = {name_of(n) for n in ast.walk(run_test) if isinstance(n, ast.Call)}
    assert test_methods and set(test_methods) <= called, "runTest must run every test_ method"


@pytest.mark.parametrize("module", MODULES)
def test_module_texts_are_translatable_and_sample_data_waits_for_startup(module):
    cls = classes(module_tree(module))[module]
    init = next(f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__")
    assigned = {}
    for node in ast.walk(init):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Attribute):
            assigned[node.targets[0].attr] = node.value
    for attr in ("title", "helpText", "acknowledgementText"):
        assert isinstance(assigned[attr], ast.Call) and name_of(assigned[attr]) == "_", attr
    assert all(name_of(e) == "translate" for e in assigned["categories"].elts)
    connects = [n for n in ast.walk(init) if isinstance(n, ast.Call) and name_of(n) == "connect"]
    assert any(isinstance(c.args[0], ast.Constant) and c.args[0].value == "startupCompleted()"
               and name_of(c.args[1]) == "registerSampleData" for c in connects)


@pytest.mark.parametrize("module", MODULES)
def test_widget_uses_the_standard_parameter_node_pattern(module):
    widget = classes(module_tree(module))[f"{module}Widget"]
    source = ast.unparse(widget)
    # connectGui returns None in Slicer 5.8: the tag must come from connectParametersToGui.
    assert "self._parameterNodeGuiTag = connect_parameters_to_gui(self._parameterNode, self.ui)" in source
    assert ".connectGui(" not in source
    assert "self._parameterNode.disconnectGui(self._parameterNodeGuiTag)" in source
    assert "slicer.util.loadUI(self.resourcePath('UI/" + module + ".ui'))" in source
    assert "slicer.util.childWidgetVariables(uiWidget)" in source
    # Errors shown by Slicer: directly, or through axspa.slicer.panel_job.PanelJob (which also ends the job calmly,
    # as tryWithErrorDisplay re-raises).
    assert ("slicer.util.tryWithErrorDisplay(_('Failed to compute results.'), waitCursor=True)" in source
            or "PanelJob(slicer, self.ui" in source)


# -------------------------------------------------------------------------------------------------- .ui

@pytest.mark.parametrize("module", MODULES)
def test_ui_is_well_formed_and_declares_its_custom_widgets(module):
    root = ui_root(module)
    assert root.tag == "ui" and root.findtext("class") == module
    top = root.find("widget")
    assert top.get("class") == "qMRMLWidget" and top.get("name") == module
    used = {w.get("class") for w in root.iter("widget")}
    declared = {c.findtext("class") for c in root.iter("customwidget")}
    assert {c for c in used if not c.startswith("Q")} <= declared
    names = [w.get("name") for w in root.iter("widget")]
    assert len(names) == len(set(names)), "duplicate widget names"


@pytest.mark.parametrize("module", MODULES)
def test_every_ui_name_the_code_uses_exists(module):
    widgets = ui_widgets(module)
    used = set()
    for path in module_sources(module):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
                    and node.value.attr == "ui" and name_of(node.value.value) == "self"):
                used.add(node.attr)
    assert used, "the module uses no widget of its .ui"
    assert used <= set(widgets), f"missing in the .ui: {sorted(used - set(widgets))}"


@pytest.mark.parametrize("module", MODULES)
def test_ui_parameter_bindings_match_the_parameter_node(module):
    fields = parameter_fields(module)
    bound = {}
    for widget in ui_root(module).iter("widget"):
        for prop in widget.findall("property"):
            if prop.get("name") == "SlicerParameterName":
                bound[prop.findtext("string")] = widget
    assert bound, "no widget is bound to the parameter node"
    for parameter, widget in bound.items():
        assert parameter in fields, f"{widget.get('name')} binds to unknown parameter {parameter}"
        kind = fields[parameter]
        allowed = CONNECTORS["node" if kind.startswith("node:") else kind]
        assert widget.get("class") in allowed, f"{widget.get('name')} cannot show a {kind}"
        if kind.startswith("node:"):
            types = [s.text for s in widget.iter("string")
                     if s.text and s.text.startswith("vtkMRML")]
            assert types == [kind[5:]], f"{widget.get('name')} lists {types}, parameter is {kind[5:]}"


@pytest.mark.parametrize("module", MODULES)
def test_every_mrml_widget_gets_the_scene(module):
    root = ui_root(module)
    receivers = {c.findtext("receiver") for c in root.iter("connection")
                 if c.findtext("sender") == module and c.findtext("signal") == "mrmlSceneChanged(vtkMRMLScene*)"
                 and c.findtext("slot") == "setMRMLScene(vtkMRMLScene*)"}
    mrml = {w.get("name") for w in root.iter("widget") if w.get("class", "").startswith("qMRML")
            and w.get("name") != module}
    assert mrml and mrml <= receivers, f"no scene for {sorted(mrml - receivers)}"


def imported_packages(tree: ast.AST) -> set[str]:
    """Top-level package names a module imports anywhere (module level or inside functions)."""
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imported.add(node.module.split(".")[0])
    return imported


# ------------------------------------------------------------------------------------- engine layout

ENGINE = REPO / "axspa"
ENGINE_FILES = sorted(p for p in ENGINE.rglob("*.py") if "__pycache__" not in p.parts)
FAMILIES = ("spine", "sij", "hip")
# Layers a family may import besides itself and the core modules (axspa/*.py).
SHARED_LAYERS = ("io", "evaluation", "training")
# The Slicer roof: everything that needs MRML or Qt (adapters, samples, installs, prompts, the panel job). It may
# import the engine; nothing of the engine imports it.
ROOF = "slicer"
# Core modules no family imports: the command line, the HTML report and the Slicer-side helpers.
NOT_FOR_FAMILIES = ("cli", "report")
TORCH = {"torch", "monai"}


def _rel(path: Path) -> tuple[str, ...]:
    return path.relative_to(ENGINE).with_suffix("").parts


def _is_model_code(path: Path) -> bool:
    """Under a family's model/ or training/: the only places torch and monai may be imported."""
    parts = _rel(path)
    return parts[0] == "training" or (len(parts) > 2 and parts[0] in FAMILIES and parts[1] == "model")


def engine_imports(tree: ast.AST, at_import_time: bool = False) -> set[str]:
    """Dotted names of the axspa modules a file imports ('axspa.spine.rules'; for ``from axspa.x import y``
    also 'axspa.x.y', which covers a submodule y), anywhere or only at import time."""
    nodes = import_time_nodes(tree) if at_import_time else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "axspa"}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level \
                and node.module.split(".")[0] == "axspa":
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _layer(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else ""


@pytest.mark.parametrize("path", [p for p in ENGINE_FILES if _rel(p)[0] != ROOF],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_engine_imports_no_qt_slicer_or_torch(path):
    """The layers: the engine has no Qt and no Slicer app (only the roof, axspa/slicer, talks to MRML); torch and
    monai are imported only by the model code (a family's model/ and axspa/training/)."""
    imported = imported_packages(ast.parse(path.read_text(), filename=str(path)))
    assert not imported & {"qt", "ctk", "slicer", "PythonQt", "vtk"}, path
    if not _is_model_code(path):
        assert not imported & TORCH, f"{path}: torch/monai only in */model/ and axspa/training/"


@pytest.mark.parametrize("path", [p for p in ENGINE_FILES if not _is_model_code(p)],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_model_code_is_imported_lazily(path):
    """Outside the model code, a family's model/ and axspa/training/ are imported inside functions only, so
    scoring a reading, the hip --seg path and the Slicer modules never load torch."""
    for dotted in engine_imports(ast.parse(path.read_text(), filename=str(path)), at_import_time=True):
        parts = dotted.split(".")
        assert not (len(parts) > 2 and parts[1] in FAMILIES and parts[2] == "model") and parts[1:2] != ["training"], \
            f"{path}: imports {dotted} when it is imported"


@pytest.mark.parametrize("path", [p for p in ENGINE_FILES if _rel(p)[0] in FAMILIES + SHARED_LAYERS],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_layers_import_only_what_they_may(path):
    """A family imports only the core, io, evaluation and training (never another family, the Slicer roof,
    phantom, the commands or the report); io, evaluation and training import no family at all (segment lists
    and finding names are passed in)."""
    own = _rel(path)[0]
    core = {p.stem for p in ENGINE.glob("*.py")} - set(NOT_FOR_FAMILIES)
    allowed = core | set(SHARED_LAYERS) | ({own} if own in FAMILIES else set())
    if own not in FAMILIES:
        allowed -= set(FAMILIES)
    for dotted in engine_imports(ast.parse(path.read_text(), filename=str(path))):
        layer = _layer(dotted)
        if dotted.count(".") == 1 and layer not in core and layer not in allowed and \
                (ENGINE / layer).is_dir() is False and not (ENGINE / f"{layer}.py").exists():
            continue  # 'from axspa import __version__': a name, not a module
        assert layer in allowed, f"{path} imports {dotted}: {own} may import only {sorted(allowed)}"



@pytest.mark.parametrize("path", [p for p in ENGINE_FILES if _rel(p)[0] != ROOF],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_engine_never_imports_the_slicer_roof(path):
    """axspa/slicer holds everything that needs MRML or Qt; the engine (every other file of axspa, the core, the
    families, the batch and the commands alike) never imports it, at import time or inside a function."""
    for dotted in engine_imports(ast.parse(path.read_text(), filename=str(path))):
        assert _layer(dotted) != ROOF, f"{path} imports {dotted}: the engine never imports the Slicer roof"


def test_the_roof_holds_what_needs_slicer():
    """The old homes of Slicer glue are gone: no axspa/mrml, no axspa/slicer_support.py, no PanelJob in jobs.py."""
    assert not (ENGINE / "mrml").exists() and not (ENGINE / "slicer_support.py").exists()
    assert "class PanelJob" not in (ENGINE / "jobs.py").read_text()
    roof = {p.stem for p in (ENGINE / ROOF).glob("*.py")}
    assert {"panel_job", "samples", "packages", "trust", "parameters", "reload", "tables", "volumes"} <= roof


def test_torch_is_not_loaded_by_scoring_a_reading_or_a_hip_segmentation(tmp_path):
    """Run in a fresh interpreter: the command line scoring a reading done by hand and a hip segmentation
    given with --seg, and importing every module outside the model code, load neither torch nor monai."""
    import subprocess
    import sys

    sample = REPO / "Resources" / "SampleData"
    modules = sorted(".".join(("axspa",) + _rel(p)).removesuffix(".__init__") for p in ENGINE_FILES
                     if not _is_model_code(p))
    code = (
        "import importlib, sys\n"
        "from axspa.cli import main\n"
        f"assert main(['msasss', {str(sample / 'sample-reading.csv')!r}]) == 0\n"
        f"assert main(['hip', {str(sample / 'AxSpA-HipSTIR.nrrd')!r}, '--seg', "
        f"{str(sample / 'AxSpA-HipSTIR.seg.nrrd')!r}, '--out', {str(tmp_path)!r}]) == 0\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'monai')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_commands_parse_and_print_but_write_no_file():
    """axspa/commands: argparse, a call into a family, print. File writing (and the scoring behind it)
    lives in the families, so no command opens, writes or removes a file itself."""
    writers = {"open", "write_text", "write_bytes", "mkdir", "unlink", "writer", "DictWriter", "dump", "savefig"}
    for path in sorted((ENGINE / "commands").glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        calls = {name_of(n) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        assert not calls & writers, f"{path} writes files itself: {sorted(calls & writers)}"
        for dotted in engine_imports(tree, at_import_time=True):
            assert _layer(dotted) in ("image", "cli", "bundles") or dotted.startswith("axspa.commands.options"), \
                f"{path} imports {dotted} at import time: commands import the families when they run"


def test_icon_and_screenshot_urls_name_files_of_this_repository():
    """The Extension Manager shows EXTENSION_ICONURL and EXTENSION_SCREENSHOTURLS from main: each must be a
    file that exists here (the screenshots are panels drawn from the .ui files, see the README)."""
    text = cmake_text(REPO / "CMakeLists.txt")
    prefix = "https://raw.githubusercontent.com/SlicerAxSpA/SlicerAxSpA/main/"
    urls = re.findall(r"https://\S+?\.png", text)
    assert any("/screenshots/" in u for u in urls) and any("Icons" in u for u in urls)
    for url in urls:
        assert url.startswith(prefix), url
        assert (REPO / url[len(prefix):]).is_file(), f"{url} names no file in the repository"


@pytest.mark.parametrize("module", MODULES)
def test_lib_files_import_each_other_without_cycles(module):
    """A module's Lib files import one another in one direction only (anywhere in the file, inside functions too):
    no pair, and no longer loop, imports back."""
    lib = f"{module}Lib"
    graph = {}
    for path in (REPO / module / lib).glob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(lib + "."):
                imported.add(node.module.split(".")[1])
        graph[path.stem] = imported - {path.stem}

    def reaches(start, goal, seen):
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in graph.get(start, ()))

    cycles = sorted(name for name in graph if reaches(name, name, {name}))
    assert not cycles, f"{lib}: import cycle through {cycles}"
