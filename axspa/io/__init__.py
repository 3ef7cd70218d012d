"""Image I/O: radiographs, volumes, DICOM writing, NRRD and Slicer segmentation files."""
