#pragma once
// Parallel HDF5 (MPI-IO) for distributed state vectors: every rank reads and writes its own block of the
// group index, collectively; nothing is gathered on one rank. Failures are PETSc user-input/file errors with
// a message that names the file and the dataset.
#include "core/attribute.hpp"
#include "core/handles.hpp"
#include <petscvec.h>
#include <string>
#include <vector>

namespace eqrnn {

// Reads dataset `dataset` of HDF5 file `path` (any shape with exactly |v| elements, flattened in C order)
// into v.
PetscErrorCode readVector(MPI_Comm comm, const std::string &path, const std::string &dataset, Vec v);
// Number of values in a dataset (any shape), with the same clear errors as readVector.
PetscErrorCode datasetLength(MPI_Comm comm, const std::string &path, const std::string &dataset,
                             PetscInt *length);

// How Hdf5File::appendRow stores a new dataset's rows: float32 (HDF5 rounds the doubles while writing) and
// gzip level 0 - 9 (0: none; parallel HDF5 compresses each row's chunks in collective writes).
struct RowStorage {
  bool singlePrecision = false;
  int compression      = 0;
};

class Hdf5File;
// Small datasets written whole by rank 0 (prod(dims) values, C order; dims empty: a scalar), replacing one
// that exists. Collective.
PetscErrorCode writeArray(Hdf5File &file, const std::string &path, const std::vector<hsize_t> &dims,
                          const double *data);
PetscErrorCode writeArray(Hdf5File &file, const std::string &path, const std::vector<hsize_t> &dims,
                          const long long *data);
// Strings as a fixed-length (the longest) UTF-8 string dataset.
PetscErrorCode writeStrings(Hdf5File &file, const std::string &path, const std::vector<std::string> &values);
// Reads a fixed-length string dataset (as writeStrings writes) on every rank; *found = false when missing.
PetscErrorCode readStrings(Hdf5File &file, const std::string &path, std::vector<std::string> *values,
                           bool *found);
// Reads dataset `path` whole on every rank (as doubles); *found = false when it is missing. Collective.
PetscErrorCode readArray(Hdf5File &file, const std::string &path, std::vector<double> *data, bool *found,
                         std::vector<hsize_t> *dims = nullptr);

class Hdf5File {
public:
  // Creates (truncating) `path` for parallel writing.
  static PetscErrorCode create(MPI_Comm comm, const std::string &path, Hdf5File *file);
  // Opens an existing file read-write (appending), or read-only.
  static PetscErrorCode open(MPI_Comm comm, const std::string &path, Hdf5File *file, bool readOnly = false);
  PetscErrorCode close();

  hid_t id() const { return file_; }
  MPI_Comm comm() const { return comm_; }
  // Creates the HDF5 group `path` (and its parents) if missing.
  PetscErrorCode ensureGroup(const std::string &path);
  // Writes attributes on the object at `objectPath` ("/" for the root). Collective, same values on all ranks.
  PetscErrorCode writeAttributes(const std::string &objectPath, const std::vector<Attribute> &attrs);
  // Fixed-size dataset holding the distributed vector v.
  PetscErrorCode writeVector(const std::string &path, Vec v);
  // Extendible T x N dataset: creates it if missing, appends v as one row.
  PetscErrorCode appendRow(const std::string &path, Vec v, hsize_t *rows, RowStorage storage = {});
  // Extendible 1-D dataset of scalars (the same value from every rank).
  PetscErrorCode appendScalar(const std::string &path, double value);
  // Shrinks an extendible dataset to its first `rows` rows (a restart drops samples after its checkpoint).
  PetscErrorCode truncateRows(const std::string &path, hsize_t rows);
  // Reads a numeric (as double) or string attribute; false in *found when it is missing. Collective.
  PetscErrorCode readNumber(const std::string &objectPath, const std::string &name, double *value,
                            bool *found);
  PetscErrorCode readString(const std::string &objectPath, const std::string &name, std::string *value,
                            bool *found);
  // Flushes everything written so far to disk (a checkpoint refers to it). A written file is closed and
  // reopened, which also empties its metadata cache (it never evicts on its own: hdf5_file.cpp).
  PetscErrorCode flush();

private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  H5File file_;
  std::string path_;
  bool writable_ = false;
};

} // namespace eqrnn
