"""The self-tests of the AxSpA Scoring module (AxSpAScoringTest runs them in Slicer; Testing/ runs them on
slicer-core): a manual reading scored and saved, a grade override and a reader comparison."""

import slicer


class SelfTests:
    """The test methods of AxSpAScoringTest (a ScriptedLoadableModuleTest); ``Logic`` is the module's logic class."""

    Logic = None

    def test_RescoreManualReading(self):
        """A reader's grades in a table node give the mSASSS worked by hand, and edits are picked up."""
        from axspa.slicer.tables import sites_to_table
        from axspa.spine.sites import CERVICAL_SITES, FINDINGS, LUMBAR_SITES

        self.delayDisplay("Scoring a manual reading from a table")
        # Cervical: every site 1 except C3s unscorable -> raw 11, imputed 11 + 1 * (11 / 11) = 12.
        # Lumbar: every site 2 -> 24. Total 36.
        sites = [{"id": s, "point": None, "grade": None if s == "C3s" else 1, "findings": {}}
                 for s in CERVICAL_SITES]
        sites += [{"id": s, "point": None, "grade": 2, "findings": {}} for s in LUMBAR_SITES]
        table = sites_to_table(slicer.mrmlScene, sites, name="reading", findings=FINDINGS)
        logic = self.Logic()
        score = logic.rescoreFromTable(table)
        self.assertEqual(score["cervical"]["raw"], 11)
        self.assertAlmostEqual(score["cervical"]["imputed"], 12.0)
        self.assertEqual(score["cervical"]["imputed_sites"], ["C3s"])
        self.assertAlmostEqual(score["lumbar"]["imputed"], 24.0)
        self.assertAlmostEqual(score["total"], 36.0)

        # The user raises L1s to 3 in the table: lumbar 25, total 37.
        column = table.GetColumnIndex("grade")
        for row in range(table.GetNumberOfRows()):
            if table.GetCellText(row, table.GetColumnIndex("site")) == "L1s":
                table.SetCellText(row, column, "3")
        score = logic.rescoreFromTable(table)
        self.assertAlmostEqual(score["lumbar"]["imputed"], 25.0)
        self.assertAlmostEqual(score["total"], 37.0)
        self.delayDisplay("Test passed")

    def test_ManualReadingRoundTrip(self):
        """A reading by hand (no model): grades and a ticked finding, saved, scored again by `axspa msasss`."""
        import contextlib
        import io
        import json
        import tempfile

        import numpy as np

        from axspa.cli import main

        self.delayDisplay("A manual reading, saved and scored by the command line")
        volume = slicer.util.addVolumeFromArray(np.zeros((1, 64, 48), dtype=np.int16), name="cspine")
        logic = self.Logic()
        reading = logic.newReading(volume, "cervical", reader="R1", study="S1")
        table = reading["table"]
        self.assertEqual(table.GetNumberOfRows(), 12)
        for site in ("C2i", "C3s", "C3i", "C4s", "C4i", "C5s", "C5i", "C6s", "C6i", "C7s", "C7i"):
            logic.setSiteGrade(table, site, 1)
        score = logic.setSiteFinding(table, "T1s", "syndesmophyte")  # T1s: grade 2 by the rules
        self.assertEqual((score["cervical"]["raw"], score["cervical"]["imputed"]), (13, 13.0))
        with tempfile.TemporaryDirectory() as folder:
            saved = logic.saveReading(folder, volume, table, reading["markups"][0])
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                self.assertEqual(main(["msasss", saved["reading"], "--json"]), 0)
        self.assertEqual(json.loads(out.getvalue())["cervical"], score["cervical"])
        self.delayDisplay("Test passed")

    def test_GradeOverrideIsMarked(self):
        """A grade typed over the model's is marked as the reader's in the source column and counts in the
        totals; typing the model's grade back makes it the model's again."""
        from axspa.slicer.tables import sites_to_table
        from axspa.spine.sites import CERVICAL_SITES, FINDINGS

        self.delayDisplay("Overriding a grade in the result table")
        sites = [{"id": s, "point": [10.0, 10.0 * n], "grade": 0, "confidence": 0.9, "review": False}
                 for n, s in enumerate(CERVICAL_SITES)]
        table = sites_to_table(slicer.mrmlScene, sites, name="result", findings=FINDINGS)
        site, grade, source = (table.GetColumnIndex(c) for c in ("site", "grade", "source"))
        row = next(r for r in range(table.GetNumberOfRows()) if table.GetCellText(r, site) == "C4i")
        self.assertEqual(table.GetCellText(row, source), "model")
        table.SetCellText(row, grade, "2")
        logic = self.Logic()
        self.assertAlmostEqual(logic.rescoreFromTable(table)["cervical"]["imputed"], 2.0)
        self.assertEqual(table.GetCellText(row, source), "reader")
        table.SetCellText(row, grade, "0")
        self.assertAlmostEqual(logic.rescoreFromTable(table)["cervical"]["imputed"], 0.0)
        self.assertEqual(table.GetCellText(row, source), "model")
        self.delayDisplay("Test passed")

    def test_CompareWithReader(self):
        """A reader's CSV against a result table: the disagreeing sites (worked by hand) come first."""
        import os
        import tempfile

        from axspa.slicer.tables import sites_to_table
        from axspa.spine.sites import CERVICAL_SITES, FINDINGS

        self.delayDisplay("Comparing a result with a reader's table")
        # Ours: every cervical site 1, C5s unscorable. Reader: the same but C4i 2 and C5s 1.
        ours = [{"id": s, "point": None, "grade": None if s == "C5s" else 1} for s in CERVICAL_SITES]
        table = sites_to_table(slicer.mrmlScene, ours, name="result", findings=FINDINGS)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "reader.csv")
            with open(path, "w") as f:
                f.write("site,grade\n" + "".join(f"{s},{dict(C4i=2).get(s, 1)}\n" for s in CERVICAL_SITES))
            result = self.Logic().compareWithReader(table, path)
        self.assertEqual((result["n_compared"], result["n_agree"]), (12, 10))
        self.assertEqual(result["disagreeing_sites"], ["C4i", "C5s"])
        out = result["table"]
        self.assertEqual([out.GetCellText(r, 0) for r in range(3)], ["C4i", "C5s", "C2i"])
        self.assertEqual([out.GetCellText(1, c) for c in range(5)], ["C5s", "", "1", "", "no"])
        self.delayDisplay("Test passed")
