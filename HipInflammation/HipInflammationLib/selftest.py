"""The self-tests of the Hip Inflammation module that HipInflammationTest (HipInflammation.py) runs besides its
own: an edited segmentation recomputed without any model."""

import slicer


class SelfTests:
    """Test methods of HipInflammationTest (a ScriptedLoadableModuleTest); ``Logic`` is the module's logic class."""

    Logic = None

    def test_RecomputeUsesEditedSegments(self):
        """Clearing a BME segment (as Segment Editor would) changes the recomputed scores; no model runs."""
        import numpy as np

        from axspa.hip.segments import HIP_SEGMENTS
        from axspa.slicer.segmentations import masks_to_segmentation, oriented_image_from_mask
        from axspa.slicer.volumes import ijk_to_ras_of

        self.delayDisplay("Recomputing the scores of an edited segmentation")
        stir = np.full((8, 40, 40), 100, dtype=np.int16)
        head = np.zeros(stir.shape, dtype=bool)
        head[0:4, 10:15, 10:20] = True
        bme = np.zeros(stir.shape, dtype=bool)
        bme[0:2, 11:13, 10:15] = True
        stir[bme] = 300
        volume = slicer.util.addVolumeFromArray(stir, name="STIR")
        seg = masks_to_segmentation(slicer.mrmlScene, {"Right femoral head": head, "Right femoral BME": bme},
                                    volume, segments=HIP_SEGMENTS)
        logic = self.Logic()
        first = logic.scoreSegmentation(volume, seg)
        self.assertEqual(first["document"]["sides"]["right"]["himriss"]["femoral_bme"], 2)
        self.assertEqual(logic.editedSegments(volume, seg), [])
        segmentId = seg.GetSegmentation().GetSegmentIdBySegmentName("Right femoral BME")
        slicer.vtkSlicerSegmentationsModuleLogic.SetBinaryLabelmapToSegment(
            oriented_image_from_mask(np.zeros(stir.shape, bool), ijk_to_ras_of(volume)), seg, segmentId,
            slicer.vtkSlicerSegmentationsModuleLogic.MODE_REPLACE)
        self.assertEqual(logic.editedSegments(volume, seg), ["Right femoral BME"])
        doc = logic.recompute(volume, seg, first["slices"])
        self.assertEqual(doc["sides"]["right"]["himriss"]["femoral_bme"], 0)
        self.assertAlmostEqual(doc["sides"]["right"]["unet_score"]["gray_value"], 0.0)
        self.assertIs(logic.outputNodes(volume)["slices"], first["slices"])
        self.assertEqual(first["slices"].GetNumberOfRows(), 15)  # right side only: slices 10 +- 7
        self.delayDisplay("Test passed")
