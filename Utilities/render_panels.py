"""Draw both modules' panels from their .ui files with Qt (PySide6), without Slicer, for the README:
docs/screenshots/panel-axspa-scoring.png and docs/screenshots/panel-hip-inflammation.png.

    .venv/bin/pip install -e '.[docs]'          # PySide6-Essentials
    QT_QPA_PLATFORM=offscreen .venv/bin/python Utilities/render_panels.py [--width 400] [--out docs/screenshots]

Slicer's own widgets (CTK and MRML: ctkCollapsibleButton, qMRMLNodeComboBox, ctkPathLineEdit, qMRMLTableView, …)
are replaced by plain Qt stand-ins of the same size and role, and the selectors show the names the sample data
gets in Slicer; the Hip Inflammation results table is filled with the scores of the sample hip STIR volume (its
reference segmentation), to check that it fits the panel. So these pictures show the layout, the texts and the
states the .ui defines, not Slicer's exact look. Exits 1 when the results table is wider than the panel.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Property, QBuffer, QByteArray, QIODevice, Qt  # noqa: E402
from PySide6.QtGui import QFont  # noqa: E402
from PySide6.QtUiTools import QUiLoader  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractItemView,
    QApplication,
    QComboBox,
    QGroupBox,
    QLineEdit,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# What the node selectors show once the sample data is loaded and scored (Slicer shows the node's name).
NODE_NAMES = {
    "inputVolume": "PhantomCervicalSpine", "otherVolume": "PhantomLumbarSpine", "pelvisVolume": "PhantomPelvis",
    "outputMarkups": "PhantomCervicalSpine mSASSS sites", "outputTable": "PhantomCervicalSpine mSASSS sites",
    "readerTable": "None",
}
HIP_NODE_NAMES = {"inputVolume": "PhantomHipSTIR", "outputSegmentation": "PhantomHipSTIR segmentation",
                  "resultsTable": "PhantomHipSTIR hip scores", "slicesTable": "PhantomHipSTIR hip scores per slice"}


class ctkCollapsibleButton(QGroupBox):  # noqa: N801 - the class name the .ui asks for
    """A titled section; collapsed ones show only their title, as in Slicer."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._text, self._collapsed = "", False
        self.setStyleSheet("QGroupBox{font-weight:bold;border:1px solid #b8b8b8;border-radius:3px;margin-top:1.1em;"
                           "padding-top:.3em}QGroupBox::title{subcontrol-origin:margin;left:6px;padding:0 3px}")

    def _title(self) -> None:
        self.setTitle(("▸ " if self._collapsed else "▾ ") + self._text)

    def getText(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        self._text = text
        self._title()

    def isCollapsed(self) -> bool:
        return self._collapsed

    def setCollapsed(self, collapsed: bool) -> None:
        self._collapsed = collapsed
        self._title()

    text = Property(str, getText, setText)
    collapsed = Property(bool, isCollapsed, setCollapsed)

    def finish(self) -> None:
        """After loading: a collapsed section hides its contents."""
        if self._collapsed:
            for child in self.findChildren(QWidget):
                child.setVisible(False)
            self.setFixedHeight(26)


class qMRMLNodeComboBox(QComboBox):  # noqa: N801
    pass


class ctkPathLineEdit(QLineEdit):  # noqa: N801
    pass


class qMRMLTableView(QTableWidget):  # noqa: N801
    pass


class qMRMLWidget(QWidget):  # noqa: N801
    pass


STAND_INS = (ctkCollapsibleButton, qMRMLNodeComboBox, ctkPathLineEdit, qMRMLTableView, qMRMLWidget)


def load(ui_path: Path) -> QWidget:
    """The .ui's widget tree with the stand-ins; other custom widgets become the Qt class they extend."""
    root = ET.parse(ui_path).getroot()
    known = {cls.__name__ for cls in STAND_INS}
    base = {c.findtext("class"): c.findtext("extends") or "QWidget" for c in root.iter("customwidget")}
    for widget in root.iter("widget"):
        cls = widget.get("class")
        if cls in base and cls not in known:
            widget.set("class", base[cls])
        for prop in list(widget.findall("property")):
            if prop.find("set") is not None:  # CTK's flag sets (ctkPathLineEdit filters) mean nothing here
                widget.remove(prop)
    custom = root.find("customwidgets")
    if custom is not None:
        for c in list(custom):
            if c.findtext("class") not in known:
                custom.remove(c)
    connections = root.find("connections")
    if connections is not None:
        root.remove(connections)  # mrmlSceneChanged(vtkMRMLScene*) and friends do not exist here
    data = QByteArray(ET.tostring(root, encoding="utf-8"))
    buffer = QBuffer(data)
    buffer.open(QIODevice.ReadOnly)
    loader = QUiLoader()
    for cls in STAND_INS:
        loader.registerCustomWidget(cls)
    widget = loader.load(buffer)
    if widget is None:
        raise SystemExit(f"{ui_path}: Qt could not load it: {loader.errorString()}")
    return widget


def dress(panel: QWidget, names: dict[str, str]) -> None:
    """What Slicer would show: node names in the selectors, collapsed sections folded."""
    for combo in panel.findChildren(qMRMLNodeComboBox):
        key = combo.property("SlicerParameterName") or combo.objectName()
        combo.addItem(names.get(str(key), "None"))
    for path in panel.findChildren(ctkPathLineEdit):
        path.setPlaceholderText("(empty: the installed models)" if "model" in path.objectName().lower() else "")
    for combo in panel.findChildren(QComboBox):
        if combo.count() == 0 and "region" in combo.objectName().lower():
            combo.addItem("auto")  # the module fills it when it starts
    for bar in panel.findChildren(QProgressBar):
        bar.setVisible(False)  # the modules show it only while a job runs
    for table in panel.findChildren(qMRMLTableView):
        table.setEditTriggers(QAbstractItemView.NoEditTriggers)
    for section in panel.findChildren(ctkCollapsibleButton):
        section.finish()


def fill_hip_results(panel: QWidget) -> QTableWidget:
    """The results table and summary after scoring the sample volume from its reference segmentation."""
    import tempfile

    from axspa.hip.pipeline import score_case
    from axspa.hip.texts import HIP_TABLE_COLUMNS, hip_result_rows, hip_summary

    sample = REPO / "Resources" / "SampleData"
    with tempfile.TemporaryDirectory() as tmp:
        doc = score_case(str(sample / "AxSpA-HipSTIR.nrrd"), Path(tmp), seg=sample / "AxSpA-HipSTIR.seg.nrrd")
    rows = hip_result_rows(doc["sides"])
    table = panel.findChild(QTableWidget, "resultsTableView")
    table.setColumnCount(len(HIP_TABLE_COLUMNS))
    table.setHorizontalHeaderLabels(list(HIP_TABLE_COLUMNS))
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if c:
                item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()  # what the module does (HipInflammationWidget._showResultsTable)
    table.setMinimumHeight(table.verticalHeader().length() + table.horizontalHeader().height() + 4)
    for name, text in (("summaryLabel", hip_summary(doc["sides"])), ("statusLabel", "Scored the segments as they "
                       "are now (no model run)."), ("warningsLabel", "none")):
        panel.findChild(QWidget, name).setText(text)
    for name in ("applyButton", "scoreButton", "exportButton"):
        panel.findChild(QWidget, name).setEnabled(True)
    panel.findChild(QWidget, "modelStatusLabel").setText(_model_status())
    panel.findChild(QWidget, "scoreButton").setText("Recompute scores")
    panel.findChild(QWidget, "scoreHintLabel").setText(
        '"Recompute scores" scores the segments as they are now, e.g. after editing them in Segment Editor; '
        'no model runs.')
    return table


def _model_status() -> str:
    """What the panel says about the hip model (HipInflammationLib.hip_panel.HipPanel.onModelDirChanged)."""
    from axspa.bundles import ModelMissingError, find_bundle

    try:
        return f"Model: {find_bundle('hip-segmenter').relative_to(REPO)}"
    except ModelMissingError as exc:
        return str(exc).split("; looked for")[0]
    except ValueError:
        return "Model: hip-segmenter (installed)"


def render(panel: QWidget, width: int, path: Path) -> None:
    """The panel at ``width`` px, as tall as its contents, as PNG (256 colours: small files)."""
    panel.setFixedWidth(width)
    panel.adjustSize()
    panel.resize(width, panel.sizeHint().height())
    panel.show()
    QApplication.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    image = panel.grab().toImage()
    image.convertToFormat(image.Format.Format_Indexed8).save(str(path), "PNG")


def fits(table: QTableWidget) -> tuple[bool, int, int]:
    needed = table.verticalHeader().width() + table.horizontalHeader().length() + 2 * table.frameWidth()
    return needed <= table.width(), needed, table.width()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--width", type=int, default=400, help="panel width in px (Slicer's default is about 400)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    app.setStyle("Fusion")
    app.setFont(QFont("DejaVu Sans", 9))
    spine = load(REPO / "AxSpAScoring" / "Resources" / "UI" / "AxSpAScoring.ui")
    dress(spine, NODE_NAMES)
    render(spine, args.width, args.out / "panel-axspa-scoring.png")
    hip = load(REPO / "HipInflammation" / "Resources" / "UI" / "HipInflammation.ui")
    dress(hip, HIP_NODE_NAMES)
    table = fill_hip_results(hip)
    render(hip, args.width, args.out / "panel-hip-inflammation.png")
    ok, needed, available = fits(table)
    print(f"wrote {args.out / 'panel-axspa-scoring.png'} and {args.out / 'panel-hip-inflammation.png'} "
          f"({args.width} px wide); hip results table needs {needed} px of {available}: "
          f"{'fits' if ok else 'TOO WIDE'}")
    widest = max(re.sub(r"\s+", " ", table.item(r, 0).text()) for r in range(table.rowCount()))
    if not ok:
        print(f"the widest measure label: {widest!r}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
