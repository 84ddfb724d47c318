"""Point-cloud, mesh and volume I/O (numpy, Open3D, trimesh, nibabel, pydicom; no torch).

Every failure raises :class:`pointrecon.errors.DataError` naming the file and the reason.
"""

from .cloud import PointCloudData
from .dicom_writer import write_dicom_series
from .files import find_files
from .formats import GEO_EXTENSIONS, MESH_EXTENSIONS, POINT_EXTENSIONS
from .mesh_reader import read_mesh
from .mesh_writer import write_mesh
from .normalization import Normalization, normalize
from .point_reader import read_point_cloud, read_points
from .point_writer import write_points
from .sampling import sample_surface
from .scan_io import OUTPUT_EXTENSIONS, read_scan, write_completion
from .volume import VolumeData
from .volume_reader import VOLUME_EXTENSIONS, read_volume
from .volume_writer import write_volume

__all__ = [
    "GEO_EXTENSIONS",
    "OUTPUT_EXTENSIONS",
    "MESH_EXTENSIONS",
    "POINT_EXTENSIONS",
    "VOLUME_EXTENSIONS",
    "VolumeData",
    "Normalization",
    "PointCloudData",
    "find_files",
    "normalize",
    "read_mesh",
    "read_point_cloud",
    "read_points",
    "read_scan",
    "read_volume",
    "sample_surface",
    "write_completion",
    "write_mesh",
    "write_dicom_series",
    "write_points",
    "write_volume",
]
