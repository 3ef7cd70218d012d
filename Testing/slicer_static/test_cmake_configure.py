"""Configure the extension with CMake against a stand-in Slicer package.

The stand-in defines the Slicer macros the extension calls; each checks what it is given the way the
real macro does (every script and resource must exist) and records it, so the test sees exactly the
files a real build would copy and install. Skipped where CMake is not installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

FAKE_SLICER_CONFIG = r"""
set(Slicer_USE_FILE "${CMAKE_CURRENT_LIST_DIR}/UseSlicer.cmake")
set(Slicer_EXTENSION_GENERATE_CONFIG "${CMAKE_CURRENT_LIST_DIR}/GenerateConfig.cmake")
set(Slicer_EXTENSION_CPACK "${CMAKE_CURRENT_LIST_DIR}/CPack.cmake")
set(Slicer_FOUND TRUE)
"""

FAKE_USE_SLICER = r"""
set(Slicer_QTSCRIPTEDMODULES_LIB_DIR "lib/Slicer-5.8/qt-scripted-modules")
set(Slicer_INSTALL_QTSCRIPTEDMODULES_LIB_DIR "lib/Slicer-5.8/qt-scripted-modules")
set_property(GLOBAL PROPERTY AXSPA_RECORD "")
function(_axspa_record line)
  set_property(GLOBAL APPEND PROPERTY AXSPA_RECORD "${line}")
endfunction()
function(_axspa_check_files kind)
  foreach(f ${ARGN})
    if(NOT IS_ABSOLUTE "${f}")
      set(f "${CMAKE_CURRENT_SOURCE_DIR}/${f}")
    endif()
    if(NOT EXISTS "${f}")
      message(FATAL_ERROR "${kind} given nonexistent file '${f}'")
    endif()
    file(RELATIVE_PATH rel "${AXSPA_REPO}" "${f}")
    _axspa_record("${kind}|${rel}")
  endforeach()
endfunction()
macro(slicerMacroBuildScriptedModule)
  cmake_parse_arguments(MY "WITH_GENERIC_TESTS" "NAME" "SCRIPTS;RESOURCES" ${ARGN})
  if(MY_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "Unknown keywords given to slicerMacroBuildScriptedModule(): ${MY_UNPARSED_ARGUMENTS}")
  endif()
  _axspa_record("module|${MY_NAME}|${MY_WITH_GENERIC_TESTS}")
  _axspa_check_files("module-script" ${MY_SCRIPTS})
  _axspa_check_files("module-resource" ${MY_RESOURCES})
endmacro()
macro(ctkMacroCompilePythonScript)
  cmake_parse_arguments(MY "NO_INSTALL_SUBDIR" "TARGET_NAME;SOURCE_DIR;DESTINATION_DIR;INSTALL_DIR"
                        "SCRIPTS;RESOURCES" ${ARGN})
  _axspa_record("engine|${MY_TARGET_NAME}|${MY_INSTALL_DIR}|${MY_NO_INSTALL_SUBDIR}")
  _axspa_check_files("engine-script" ${MY_SCRIPTS})
  _axspa_check_files("engine-resource" ${MY_RESOURCES})
endmacro()
function(slicer_add_python_unittest)
  cmake_parse_arguments(MY "" "SCRIPT" "SLICER_ARGS" ${ARGN})
  _axspa_check_files("unittest" ${MY_SCRIPT})
endfunction()
"""

FAKE_GENERATE_CONFIG = r"""
get_property(record GLOBAL PROPERTY AXSPA_RECORD)
string(REPLACE ";" "\n" record "${record}")
file(WRITE "${CMAKE_BINARY_DIR}/axspa-record.txt" "${record}\n")
set(AXSPA_EXTENSION_META "{}")
foreach(key HOMEPAGE CATEGORY CONTRIBUTORS DESCRIPTION ICONURL SCREENSHOTURLS DEPENDS)
  string(JSON AXSPA_EXTENSION_META SET "${AXSPA_EXTENSION_META}" "${key}" "\"${EXTENSION_${key}}\"")
endforeach()
file(WRITE "${CMAKE_BINARY_DIR}/axspa-meta.json" "${AXSPA_EXTENSION_META}")
"""


@pytest.fixture(scope="module")
def configured(tmp_path_factory):
    cmake = shutil.which("cmake")
    if cmake is None:
        pytest.skip("cmake is not installed")
    root = tmp_path_factory.mktemp("cmake")
    fake = root / "FakeSlicer"
    fake.mkdir()
    (fake / "SlicerConfig.cmake").write_text(FAKE_SLICER_CONFIG)
    (fake / "UseSlicer.cmake").write_text(FAKE_USE_SLICER)
    (fake / "GenerateConfig.cmake").write_text(FAKE_GENERATE_CONFIG)
    (fake / "CPack.cmake").write_text("")
    build = root / "build"
    # No compiler work: the extension is pure Python, so C/C++ detection is skipped.
    out = subprocess.run(
        [cmake, "-S", str(REPO), "-B", str(build), f"-DSlicer_DIR={fake}", "-DBUILD_TESTING=ON",
         f"-DAXSPA_REPO={REPO}",
         "-DCMAKE_C_COMPILER_WORKS=1", "-DCMAKE_CXX_COMPILER_WORKS=1"],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    records = [line.split("|") for line in (build / "axspa-record.txt").read_text().splitlines() if line]
    return records, json.loads((build / "axspa-meta.json").read_text())


def _files(records, kind):
    return {r[1] for r in records if r[0] == kind}


def test_both_modules_are_built_with_generic_tests(configured):
    records, _ = configured
    assert [r[1:] for r in records if r[0] == "module"] == [["AxSpAScoring", "TRUE"],
                                                            ["HipInflammation", "TRUE"]]
    scripts = _files(records, "module-script")
    assert {"AxSpAScoring/AxSpAScoring.py", "HipInflammation/HipInflammation.py"} <= scripts
    assert {"AxSpAScoring/Resources/UI/AxSpAScoring.ui",
            "HipInflammation/Resources/Icons/HipInflammation.png"} <= _files(records, "module-resource")
    assert _files(records, "unittest") == {
        "AxSpAScoring/AxSpAScoring.py", "HipInflammation/HipInflammation.py",
        "AxSpAScoring/Testing/Python/AxSpAScoringInstallTest.py",
        "HipInflammation/Testing/Python/HipInflammationInstallTest.py"}


def test_engine_is_installed_beside_the_modules(configured):
    records, _ = configured
    [engine] = [r for r in records if r[0] == "engine"]
    assert engine[2] == "lib/Slicer-5.8/qt-scripted-modules" and engine[3] == "TRUE"
    on_disk = {p.relative_to(REPO).as_posix() for p in (REPO / "axspa").rglob("*.py")
               if "__pycache__" not in p.parts}
    assert _files(records, "engine-script") == on_disk
    schemas = {p.relative_to(REPO).as_posix() for p in (REPO / "axspa" / "schemas").glob("*.json")}
    resources = _files(records, "engine-resource")
    assert schemas <= resources
    shared = {p.relative_to(REPO).as_posix() for sub in ("Models", "SampleData")
              for p in (REPO / "Resources" / sub).rglob("*") if p.is_file() and not p.name.startswith(".")
              and "__pycache__" not in p.parts}
    assert shared <= resources and "Resources/Icons/SlicerAxSpA.png" in resources


def test_extension_metadata(configured):
    _, meta = configured
    assert meta["CATEGORY"] == "Quantification" and meta["DEPENDS"] == "PyTorch"
    assert all(meta[k] for k in meta)
