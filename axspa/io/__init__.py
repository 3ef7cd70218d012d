"""Generic file I/O: radiographs, volumes, DICOM writing, scalar NRRD, Slicer .seg.nrrd and .mrk.json files."""

from axspa.io.dicom_write import write_radiograph_dicom, write_series_dicom
from axspa.io.nrrdfile import read_nrrd, write_nrrd
from axspa.io.radiograph import read_radiograph
from axspa.io.segfile import read_seg_nrrd, write_seg_nrrd
from axspa.io.volume import SeriesInfo, list_series, read_volume

__all__ = ["SeriesInfo", "list_series", "read_nrrd", "read_radiograph", "read_seg_nrrd", "read_volume",
           "write_nrrd", "write_radiograph_dicom", "write_seg_nrrd", "write_series_dicom"]
