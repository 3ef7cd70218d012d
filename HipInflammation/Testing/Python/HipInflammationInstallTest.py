"""Checks of the built HipInflammation module inside Slicer: the engine is shipped beside it, its resources
are there, and the panel loads with the widgets the module code uses."""

import os
import unittest

import slicer


class HipInflammationInstallTest(unittest.TestCase):
    def setUp(self):
        slicer.mrmlScene.Clear()

    def test_EngineShippedBesideModule(self):
        # An Extension Manager install must not depend on an axspa found elsewhere on sys.path.
        import axspa
        import axspa.results

        moduleDir = os.path.dirname(slicer.modules.hipinflammation.path)
        engineDir = os.path.dirname(os.path.dirname(os.path.realpath(axspa.__file__)))
        self.assertEqual(os.path.normcase(engineDir), os.path.normcase(os.path.realpath(moduleDir)))
        for kind in ("spine", "sij", "hip"):
            self.assertIn("properties", axspa.results.load_schema(kind))

    def test_PanelLoads(self):
        widget = slicer.modules.hipinflammation.widgetRepresentation().self()
        for name in "applyButton scoreButton exportButton modelDirPathLineEdit progressBar resultsTableView".split():
            self.assertTrue(hasattr(widget.ui, name), name)
        self.assertIsNotNone(widget.logic)
