#include "io/hdf5_file.hpp"

#include "core/collective.hpp"
#include <algorithm>
#include <cmath>
#include <cstring>

namespace eqrnn {

namespace {
H5Plist mpioAccess(MPI_Comm comm) {
  H5Plist fapl(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  return fapl;
}

// Files written to (results, checkpoints): the metadata cache never evicts on its own, so the metadata on
// disk is exactly that of the last flush (checkpoints flush the output) until the next one. A kill between
// flushes then leaves a readable file (raw data written since lies beyond its end of allocation), not B-tree
// nodes from one moment and a superblock from another. The cache keeps all metadata touched in memory until
// close: kilobytes per dataset.
H5Plist mpioWriteAccess(MPI_Comm comm) {
  H5Plist fapl = mpioAccess(comm);
  H5AC_cache_config_t config{};
  config.version = H5AC__CURR_CACHE_CONFIG_VERSION;
  if (H5Pget_mdc_config(fapl, &config) >= 0) {
    config.evictions_enabled = false; // needs the automatic resizing off too
    config.incr_mode         = H5C_incr__off;
    config.flash_incr_mode   = H5C_flash_incr__off;
    config.decr_mode         = H5C_decr__off;
    H5Pset_mdc_config(fapl, &config);
  }
  return fapl;
}

H5Plist collectiveTransfer() {
  H5Plist dxpl(H5Pcreate(H5P_DATASET_XFER));
  H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
  return dxpl;
}

bool linkExists(hid_t file, const std::string &path) {
  // Walk the path: H5Lexists fails on a missing intermediate group.
  std::size_t pos = 0;
  while ((pos = path.find('/', pos + 1)) != std::string::npos)
    if (H5Lexists(file, path.substr(0, pos).c_str(), H5P_DEFAULT) <= 0) return false;
  return H5Lexists(file, path.c_str(), H5P_DEFAULT) > 0;
}

// Selects columns [start, start+count) of row `row` (or of a 1-D space when row is null); an empty selection
// on ranks that own nothing, which must still take part in the collective call.
void selectRange(hid_t fspace, hid_t mspace, const hsize_t *row, hsize_t start, hsize_t count) {
  if (count == 0) {
    H5Sselect_none(fspace);
    H5Sselect_none(mspace);
    return;
  }
  if (row) {
    const hsize_t s[2] = {*row, start}, c[2] = {1, count};
    H5Sselect_hyperslab(fspace, H5S_SELECT_SET, s, nullptr, c, nullptr);
  } else {
    H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, nullptr, &count, nullptr);
  }
}

PetscErrorCode ownership(Vec v, PetscInt *lo, PetscInt *n) {
  PetscInt hi = 0;
  PetscFunctionBeginUser;
  PetscCall(VecGetOwnershipRange(v, lo, &hi));
  *n = hi - *lo;
  PetscFunctionReturn(0);
}
} // namespace

namespace {
// A file to open: present and HDF5, agreed by every rank (the open that follows is collective).
PetscErrorCode checkReadable(MPI_Comm comm, const std::string &path) {
  bool exists = false;
  PetscFunctionBeginUser;
  PetscCall(fileExistsEverywhere(comm, path, &exists));
  PetscCheck(exists, comm, PETSC_ERR_FILE_OPEN, "file '%s' not found or not readable", path.c_str());
  EQRNN_CHECK_ALL(comm, H5Fis_hdf5(path.c_str()) > 0, PETSC_ERR_FILE_OPEN,
                  "file '%s' is not an HDF5 file (or is corrupt)", path.c_str());
  PetscFunctionReturn(0);
}

// Every rank writes rank 0's values: parallel HDF5 requires identical attribute data, and clocks, wall times
// and host names differ between ranks.
PetscErrorCode rootAttributes(MPI_Comm comm, std::vector<Attribute> *attrs) {
  PetscMPIInt rank = 0, size = 1;
  std::string buf;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  if (size == 1) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  auto put = [&buf](const void *p, std::size_t n) { buf.append(static_cast<const char *>(p), n); };
  if (rank == 0)
    for (const Attribute &a : *attrs) {
      const unsigned long long kind = a.value.index();
      std::string bytes;
      if (const auto *i = std::get_if<long long>(&a.value))
        bytes.assign(reinterpret_cast<const char *>(i), sizeof *i);
      if (const auto *d = std::get_if<double>(&a.value))
        bytes.assign(reinterpret_cast<const char *>(d), sizeof *d);
      if (const auto *t = std::get_if<std::string>(&a.value)) bytes = *t;
      if (const auto *v = std::get_if<std::vector<double>>(&a.value))
        bytes.assign(reinterpret_cast<const char *>(v->data()), v->size() * sizeof(double));
      const unsigned long long nameLength = a.name.size(), length = bytes.size();
      put(&kind, sizeof kind);
      put(&nameLength, sizeof nameLength);
      put(a.name.data(), a.name.size());
      put(&length, sizeof length);
      put(bytes.data(), bytes.size());
    }
  PetscCall(rootValue(comm, &buf));
  if (rank == 0) PetscFunctionReturn(0);
  attrs->clear();
  std::size_t at = 0;
  auto get       = [&buf, &at](void *p, std::size_t n) {
    std::memcpy(p, buf.data() + at, n);
    at += n;
  };
  while (at < buf.size()) {
    unsigned long long kind = 0, nameLength = 0, length = 0;
    Attribute a;
    get(&kind, sizeof kind);
    get(&nameLength, sizeof nameLength);
    a.name.assign(buf.data() + at, nameLength);
    at += nameLength;
    get(&length, sizeof length);
    const char *bytes = buf.data() + at;
    if (kind == 0) {
      long long i = 0;
      std::memcpy(&i, bytes, sizeof i);
      a.value = i;
    } else if (kind == 1) {
      double d = 0;
      std::memcpy(&d, bytes, sizeof d);
      a.value = d;
    } else if (kind == 2) {
      a.value = std::string(bytes, length);
    } else {
      std::vector<double> v(length / sizeof(double));
      std::memcpy(v.data(), bytes, length);
      a.value = std::move(v);
    }
    at += length;
    attrs->push_back(std::move(a));
  }
  PetscFunctionReturn(0);
}

// Opens `dataset` in `path` for reading with clear errors (missing, not HDF5, no such dataset, bad rank).
PetscErrorCode openDataset(MPI_Comm comm, const std::string &path, const std::string &dataset, H5File *file,
                           H5Dataset *ds, std::vector<hsize_t> *dims) {
  PetscFunctionBeginUser;
  PetscCall(checkReadable(comm, path));
  H5Plist fapl = mpioAccess(comm);
  *file        = H5File(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl));
  EQRNN_CHECK_ALL(comm, file->valid(), PETSC_ERR_FILE_OPEN, "cannot open HDF5 file '%s'", path.c_str());
  EQRNN_CHECK_ALL(comm, linkExists(*file, dataset), PETSC_ERR_FILE_READ, "file '%s' has no dataset '%s'",
                  path.c_str(), dataset.c_str());
  *ds = H5Dataset(H5Dopen2(*file, dataset.c_str(), H5P_DEFAULT));
  EQRNN_CHECK_ALL(comm, ds->valid(), PETSC_ERR_FILE_READ, "'%s' in '%s' is not a dataset", dataset.c_str(),
                  path.c_str());
  H5Dataspace fspace(H5Dget_space(*ds));
  const int rank = H5Sget_simple_extent_ndims(fspace);
  EQRNN_CHECK_ALL(comm, rank >= 1 && rank <= 8, PETSC_ERR_FILE_READ, "dataset '%s' in '%s' has rank %d",
                  dataset.c_str(), path.c_str(), rank);
  dims->assign(static_cast<std::size_t>(rank), 0);
  H5Sget_simple_extent_dims(fspace, dims->data(), nullptr);
  PetscFunctionReturn(0);
}
} // namespace

PetscErrorCode datasetLength(MPI_Comm comm, const std::string &path, const std::string &dataset,
                             PetscInt *length) {
  H5File file;
  H5Dataset ds;
  std::vector<hsize_t> dims;
  PetscFunctionBeginUser;
  PetscCall(openDataset(comm, path, dataset, &file, &ds, &dims));
  hsize_t count = 1;
  for (hsize_t d : dims)
    count *= d;
  *length = static_cast<PetscInt>(count);
  PetscFunctionReturn(0);
}

PetscErrorCode readVector(MPI_Comm comm, const std::string &path, const std::string &dataset, Vec v) {
  PetscInt lo = 0, n = 0, total = 0;
  H5File file;
  H5Dataset ds;
  std::vector<hsize_t> dims;
  PetscFunctionBeginUser;
  PetscCall(openDataset(comm, path, dataset, &file, &ds, &dims));
  H5Dataspace fspace(H5Dget_space(ds));
  const int rank = static_cast<int>(dims.size());
  hsize_t count  = 1;
  for (hsize_t d : dims)
    count *= d;
  PetscCall(VecGetSize(v, &total));
  EQRNN_CHECK_ALL(comm, count == static_cast<hsize_t>(total), PETSC_ERR_FILE_UNEXPECTED,
                  "dataset '%s' in '%s' has %llu elements, the group needs %" PetscInt_FMT, dataset.c_str(),
                  path.c_str(), static_cast<unsigned long long>(count), total);
  PetscCall(ownership(v, &lo, &n));
  // Select this rank's flat range [lo, lo+n) in C order: a hyperslab for rank 1, element coordinates
  // otherwise.
  if (n == 0) {
    H5Sselect_none(fspace);
  } else if (rank == 1) {
    const hsize_t start = static_cast<hsize_t>(lo), cnt = static_cast<hsize_t>(n);
    H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, nullptr, &cnt, nullptr);
  } else {
    std::vector<hsize_t> coords(static_cast<std::size_t>(n) * rank);
    for (PetscInt i = 0; i < n; ++i) {
      hsize_t flat = static_cast<hsize_t>(lo + i);
      for (int k = rank - 1; k >= 0; --k) {
        coords[i * rank + k] = flat % dims[k];
        flat /= dims[k];
      }
    }
    H5Sselect_elements(fspace, H5S_SELECT_SET, static_cast<size_t>(n), coords.data());
  }
  const hsize_t mcount = static_cast<hsize_t>(n);
  H5Dataspace mspace(H5Screate_simple(1, &mcount, nullptr));
  if (n == 0) H5Sselect_none(mspace);
  PetscScalar *a = nullptr;
  PetscCall(VecGetArray(v, &a));
  H5Plist dxpl  = collectiveTransfer();
  const bool ok = H5Dread(ds, H5T_NATIVE_DOUBLE, mspace, fspace, dxpl, a) >= 0;
  PetscCall(VecRestoreArray(v, &a));
  EQRNN_CHECK_ALL(comm, ok, PETSC_ERR_FILE_READ, "reading dataset '%s' from '%s' failed (corrupt file?)",
                  dataset.c_str(), path.c_str());
  // A NaN in the input would silently poison the run.
  PetscReal norm = 0;
  PetscCall(VecNorm(v, NORM_1, &norm));
  PetscCheck(std::isfinite(norm), comm, PETSC_ERR_FP, "dataset '%s' in '%s' contains NaN or Inf",
             dataset.c_str(), path.c_str());
  PetscFunctionReturn(0);
}

namespace {
// One dataset of `type` written whole by rank 0 (the others select nothing but take part). Collective.
PetscErrorCode writeWhole(Hdf5File &file, const std::string &path, const std::vector<hsize_t> &dims,
                          hid_t type, const void *data) {
  PetscMPIInt rank = 0;
  MPI_Comm comm    = file.comm();
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  const auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) PetscCall(file.ensureGroup(path.substr(0, slash)));
  bool present = false;
  PetscCall(allRanks(comm, linkExists(file.id(), path), &present));
  if (present) H5Ldelete(file.id(), path.c_str(), H5P_DEFAULT);
  hsize_t total = 1;
  for (hsize_t d : dims)
    total *= d;
  H5Dataspace fspace(dims.empty() ? H5Screate(H5S_SCALAR)
                                  : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  H5Dataset ds(H5Dcreate2(file.id(), path.c_str(), type, fspace, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  EQRNN_CHECK_ALL(comm, ds.valid(), PETSC_ERR_FILE_WRITE, "cannot create dataset '%s'", path.c_str());
  bool ok = true;
  if (total > 0) {
    H5Dataspace mspace(H5Scopy(fspace));
    if (rank != 0) {
      H5Sselect_none(fspace);
      H5Sselect_none(mspace);
    }
    H5Plist dxpl(H5Pcreate(H5P_DATASET_XFER));
    H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
    ok = H5Dwrite(ds, type, mspace, fspace, dxpl, data) >= 0;
  }
  EQRNN_CHECK_ALL(comm, ok && !injectedFault(FaultSite::Hdf5Write), PETSC_ERR_FILE_WRITE,
                  "writing dataset '%s' failed", path.c_str());
  PetscFunctionReturn(0);
}
} // namespace

PetscErrorCode writeArray(Hdf5File &file, const std::string &path, const std::vector<hsize_t> &dims,
                          const double *data) {
  return writeWhole(file, path, dims, H5T_NATIVE_DOUBLE, data);
}

PetscErrorCode writeArray(Hdf5File &file, const std::string &path, const std::vector<hsize_t> &dims,
                          const long long *data) {
  return writeWhole(file, path, dims, H5T_NATIVE_LLONG, data);
}

PetscErrorCode writeStrings(Hdf5File &file, const std::string &path, const std::vector<std::string> &values) {
  // Fixed-length strings: parallel HDF5 cannot write variable-length data collectively.
  std::size_t width = 1;
  for (const auto &v : values)
    width = std::max(width, v.size() + 1);
  std::vector<char> packed(values.size() * width, '\0');
  for (std::size_t i = 0; i < values.size(); ++i)
    std::copy(values[i].begin(), values[i].end(), packed.begin() + static_cast<std::ptrdiff_t>(i * width));
  H5Type type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type, width);
  H5Tset_strpad(type, H5T_STR_NULLTERM);
  H5Tset_cset(type, H5T_CSET_UTF8);
  return writeWhole(file, path, {static_cast<hsize_t>(values.size())}, type, packed.data());
}

PetscErrorCode readStrings(Hdf5File &file, const std::string &path, std::vector<std::string> *values,
                           bool *found) {
  MPI_Comm comm = file.comm();
  PetscFunctionBeginUser;
  values->clear();
  *found       = false;
  bool present = false;
  PetscCall(allRanks(comm, linkExists(file.id(), path), &present));
  if (!present) PetscFunctionReturn(0);
  H5Dataset ds(H5Dopen2(file.id(), path.c_str(), H5P_DEFAULT));
  H5Type type(ds.valid() ? H5Dget_type(ds) : H5I_INVALID_HID);
  const bool fixed = type.valid() && H5Tget_class(type) == H5T_STRING && !H5Tis_variable_str(type);
  EQRNN_CHECK_ALL(comm, fixed, PETSC_ERR_FILE_READ, "dataset '%s' is not a fixed-length string dataset",
                  path.c_str());
  H5Dataspace space(H5Dget_space(ds));
  const hssize_t n    = H5Sget_simple_extent_npoints(space);
  const std::size_t w = H5Tget_size(type);
  std::vector<char> buffer(static_cast<std::size_t>(std::max<hssize_t>(n, 0)) * w + 1, '\0');
  const bool ok = n <= 0 || H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()) >= 0;
  EQRNN_CHECK_ALL(comm, ok, PETSC_ERR_FILE_READ, "reading dataset '%s' failed", path.c_str());
  for (hssize_t i = 0; i < n; ++i) {
    const char *at = buffer.data() + static_cast<std::size_t>(i) * w;
    values->emplace_back(at, strnlen(at, w));
  }
  *found = true;
  PetscFunctionReturn(0);
}

PetscErrorCode readArray(Hdf5File &file, const std::string &path, std::vector<double> *data, bool *found,
                         std::vector<hsize_t> *dims) {
  MPI_Comm comm = file.comm();
  PetscFunctionBeginUser;
  bool present = false;
  *found       = false;
  data->clear();
  PetscCall(allRanks(comm, linkExists(file.id(), path), &present));
  if (!present) PetscFunctionReturn(0);
  H5Dataset ds(H5Dopen2(file.id(), path.c_str(), H5P_DEFAULT));
  EQRNN_CHECK_ALL(comm, ds.valid(), PETSC_ERR_FILE_READ, "cannot open dataset '%s'", path.c_str());
  H5Dataspace space(H5Dget_space(ds));
  const int rank = H5Sget_simple_extent_ndims(space);
  EQRNN_CHECK_ALL(comm, rank >= 0 && rank <= 8, PETSC_ERR_FILE_READ, "dataset '%s' has rank %d", path.c_str(),
                  rank);
  std::vector<hsize_t> d(static_cast<std::size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space, d.data(), nullptr);
  hsize_t total = 1;
  for (hsize_t x : d)
    total *= x;
  data->resize(static_cast<std::size_t>(total));
  const bool ok =
      total == 0 || H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data->data()) >= 0;
  EQRNN_CHECK_ALL(comm, ok, PETSC_ERR_FILE_READ, "reading dataset '%s' failed", path.c_str());
  if (dims) *dims = d;
  *found = true;
  PetscFunctionReturn(0);
}

PetscErrorCode Hdf5File::create(MPI_Comm comm, const std::string &path, Hdf5File *f) {
  PetscFunctionBeginUser;
  H5Plist fapl = mpioWriteAccess(comm);
  f->comm_     = comm;
  f->path_     = path;
  f->file_     = H5File(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl));
  f->writable_ = true;
  EQRNN_CHECK_ALL(comm, f->file_.valid() && !injectedFault(FaultSite::Hdf5Write), PETSC_ERR_FILE_OPEN,
                  "cannot create output file '%s'", path.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode Hdf5File::open(MPI_Comm comm, const std::string &path, Hdf5File *f, bool readOnly) {
  PetscFunctionBeginUser;
  PetscCall(checkReadable(comm, path));
  H5Plist fapl = readOnly ? mpioAccess(comm) : mpioWriteAccess(comm);
  f->comm_     = comm;
  f->path_     = path;
  f->file_     = H5File(H5Fopen(path.c_str(), readOnly ? H5F_ACC_RDONLY : H5F_ACC_RDWR, fapl));
  f->writable_ = !readOnly;
  EQRNN_CHECK_ALL(comm, f->file_.valid(), PETSC_ERR_FILE_OPEN, "cannot open '%s'%s (corrupt?)", path.c_str(),
                  readOnly ? "" : " for appending");
  PetscFunctionReturn(0);
}

PetscErrorCode Hdf5File::flush() {
  PetscFunctionBeginUser;
  EQRNN_CHECK_ALL(comm_, H5Fflush(file_, H5F_SCOPE_GLOBAL) >= 0, PETSC_ERR_FILE_WRITE, "flushing '%s' failed",
                  path_.c_str());
  if (writable_) { // the cache keeps all metadata touched since the open (about 0.4 KB per trajectory row)
    file_.reset();
    H5Plist fapl = mpioWriteAccess(comm_);
    file_        = H5File(H5Fopen(path_.c_str(), H5F_ACC_RDWR, fapl));
    EQRNN_CHECK_ALL(comm_, file_.valid(), PETSC_ERR_FILE_OPEN, "cannot reopen '%s' after flushing it",
                    path_.c_str());
  }
  PetscFunctionReturn(0);
}

PetscErrorCode Hdf5File::truncateRows(const std::string &path, hsize_t rows) {
  PetscFunctionBeginUser;
  EQRNN_CHECK_ALL(comm_, linkExists(file_, path), PETSC_ERR_FILE_UNEXPECTED, "'%s' has no dataset '%s'",
                  path_.c_str(), path.c_str());
  H5Dataset ds(H5Dopen2(file_, path.c_str(), H5P_DEFAULT));
  hsize_t dims[2] = {0, 0};
  int rank        = 0;
  if (ds.valid()) {
    H5Dataspace s(H5Dget_space(ds));
    rank = H5Sget_simple_extent_ndims(s);
    H5Sget_simple_extent_dims(s, dims, nullptr);
  }
  EQRNN_CHECK_ALL(comm_, ds.valid() && rank >= 1 && rank <= 2, PETSC_ERR_FILE_UNEXPECTED,
                  "'%s' in '%s' is not an extendible dataset", path.c_str(), path_.c_str());
  EQRNN_CHECK_ALL(
      comm_, rows <= dims[0], PETSC_ERR_FILE_UNEXPECTED,
      "'%s' in '%s' has %llu rows, fewer than the checkpoint's %llu: the output does not belong to it",
      path.c_str(), path_.c_str(), static_cast<unsigned long long>(dims[0]),
      static_cast<unsigned long long>(rows));
  dims[0] = rows;
  EQRNN_CHECK_ALL(comm_, H5Dset_extent(ds, dims) >= 0 && !injectedFault(FaultSite::Hdf5Write),
                  PETSC_ERR_FILE_WRITE, "cannot shrink '%s'", path.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode Hdf5File::readNumber(const std::string &objectPath, const std::string &name, double *value,
                                    bool *found) {
  bool present = false;
  PetscFunctionBeginUser;
  *found = false;
  H5Handle<H5Oclose> obj(H5Oopen(file_, objectPath.c_str(), H5P_DEFAULT));
  PetscCall(allRanks(comm_, obj.valid() && H5Aexists(obj, name.c_str()) > 0, &present));
  if (!present) PetscFunctionReturn(0);
  H5Attribute at(H5Aopen(obj, name.c_str(), H5P_DEFAULT));
  PetscCall(allRanks(comm_, at.valid() && H5Aread(at, H5T_NATIVE_DOUBLE, value) >= 0, found));
  PetscFunctionReturn(0);
}

PetscErrorCode Hdf5File::readString(const std::string &objectPath, const std::string &name,
                                    std::string *value, bool *found) {
  bool present = false;
  PetscFunctionBeginUser;
  *found = false;
  H5Handle<H5Oclose> obj(H5Oopen(file_, objectPath.c_str(), H5P_DEFAULT));
  PetscCall(allRanks(comm_, obj.valid() && H5Aexists(obj, name.c_str()) > 0, &present));
  if (!present) PetscFunctionReturn(0);
  H5Attribute at(H5Aopen(obj, name.c_str(), H5P_DEFAULT));
  H5Type type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  char *s         = nullptr;
  const bool here = at.valid() && H5Aread(at, type, &s) >= 0 && s;
  if (here) *value = s;
  if (s) H5free_memory(s);
  PetscCall(allRanks(comm_, here, found));
  PetscFunctionReturn(0);
}

PetscErrorCode Hdf5File::close() {
  PetscFunctionBeginUser;
  if (file_.valid()) {
    const bool ok = H5Fflush(file_, H5F_SCOPE_GLOBAL) >= 0;
    file_.reset();
    EQRNN_CHECK_ALL(comm_, ok, PETSC_ERR_FILE_WRITE, "flushing '%s' failed", path_.c_str());
  }
  PetscFunctionReturn(0);
}

PetscErrorCode Hdf5File::ensureGroup(const std::string &path) {
  PetscFunctionBeginUser;
  if (path == "/" || linkExists(file_, path)) PetscFunctionReturn(0);
  H5Plist lcpl(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl, 1);
  H5Group g(H5Gcreate2(file_, path.c_str(), lcpl, H5P_DEFAULT, H5P_DEFAULT));
  EQRNN_CHECK_ALL(comm_, g.valid(), PETSC_ERR_FILE_WRITE, "cannot create group '%s' in '%s'", path.c_str(),
                  path_.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode Hdf5File::writeAttributes(const std::string &objectPath, const std::vector<Attribute> &given) {
  std::vector<Attribute> attrs = given;
  std::string failed;
  PetscFunctionBeginUser;
  PetscCall(rootAttributes(comm_, &attrs));
  H5Handle<H5Oclose> obj(H5Oopen(file_, objectPath.c_str(), H5P_DEFAULT));
  EQRNN_CHECK_ALL(comm_, obj.valid(), PETSC_ERR_FILE_WRITE, "no object '%s' in '%s'", objectPath.c_str(),
                  path_.c_str());
  H5Dataspace scalar(H5Screate(H5S_SCALAR));
  // Every rank makes the same calls (HDF5 metadata operations are collective); the outcome is agreed once.
  for (const auto &a : attrs) {
    if (H5Aexists(obj, a.name.c_str()) > 0) H5Adelete(obj, a.name.c_str());
    herr_t status = -1;
    if (const auto *i = std::get_if<long long>(&a.value)) {
      H5Attribute at(H5Acreate2(obj, a.name.c_str(), H5T_NATIVE_LLONG, scalar, H5P_DEFAULT, H5P_DEFAULT));
      status = H5Awrite(at, H5T_NATIVE_LLONG, i);
    } else if (const auto *d = std::get_if<double>(&a.value)) {
      H5Attribute at(H5Acreate2(obj, a.name.c_str(), H5T_NATIVE_DOUBLE, scalar, H5P_DEFAULT, H5P_DEFAULT));
      status = H5Awrite(at, H5T_NATIVE_DOUBLE, d);
    } else if (const auto *v = std::get_if<std::vector<double>>(&a.value)) {
      const hsize_t len = v->size();
      H5Dataspace space(v->empty() ? H5Screate(H5S_NULL) : H5Screate_simple(1, &len, nullptr));
      H5Attribute at(H5Acreate2(obj, a.name.c_str(), H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT));
      status = v->empty() ? (at.valid() ? 0 : -1) : H5Awrite(at, H5T_NATIVE_DOUBLE, v->data());
    } else {
      // Variable-length UTF-8, so h5py hands back str rather than bytes.
      H5Type type(H5Tcopy(H5T_C_S1));
      H5Tset_size(type, H5T_VARIABLE);
      H5Tset_cset(type, H5T_CSET_UTF8);
      const char *s = std::get<std::string>(a.value).c_str();
      H5Attribute at(H5Acreate2(obj, a.name.c_str(), type, scalar, H5P_DEFAULT, H5P_DEFAULT));
      status = H5Awrite(at, type, &s);
    }
    if ((status < 0 || injectedFault(FaultSite::Hdf5Write)) && failed.empty()) failed = a.name;
  }
  // The name is known only where the write failed; the line printed may come from another rank.
  const std::string which = failed.empty() ? std::string() : " (attribute '" + failed + "')";
  EQRNN_CHECK_ALL(comm_, failed.empty(), PETSC_ERR_FILE_WRITE,
                  "writing the attributes of '%s' in '%s' failed%s", objectPath.c_str(), path_.c_str(),
                  which.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode Hdf5File::writeVector(const std::string &path, Vec v) {
  PetscInt lo = 0, n = 0, total = 0;
  PetscFunctionBeginUser;
  PetscCall(VecGetSize(v, &total));
  PetscCall(ownership(v, &lo, &n));
  const auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) PetscCall(ensureGroup(path.substr(0, slash)));
  const hsize_t dim = static_cast<hsize_t>(total);
  H5Dataspace fspace(H5Screate_simple(1, &dim, nullptr));
  if (linkExists(file_, path)) H5Ldelete(file_, path.c_str(), H5P_DEFAULT);
  H5Dataset ds(
      H5Dcreate2(file_, path.c_str(), H5T_NATIVE_DOUBLE, fspace, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  EQRNN_CHECK_ALL(comm_, ds.valid(), PETSC_ERR_FILE_WRITE, "cannot create dataset '%s' in '%s'", path.c_str(),
                  path_.c_str());
  const hsize_t start = static_cast<hsize_t>(lo), cnt = static_cast<hsize_t>(n), one = 1;
  H5Dataspace mspace(H5Screate_simple(1, n ? &cnt : &one, nullptr));
  selectRange(fspace, mspace, nullptr, start, cnt);
  const PetscScalar *a = nullptr;
  PetscCall(VecGetArrayRead(v, &a));
  H5Plist dxpl  = collectiveTransfer();
  const bool ok = H5Dwrite(ds, H5T_NATIVE_DOUBLE, mspace, fspace, dxpl, a) >= 0;
  PetscCall(VecRestoreArrayRead(v, &a));
  EQRNN_CHECK_ALL(comm_, ok && !injectedFault(FaultSite::Hdf5Write), PETSC_ERR_FILE_WRITE,
                  "writing '%s' to '%s' failed", path.c_str(), path_.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode Hdf5File::appendRow(const std::string &path, Vec v, hsize_t *rows, RowStorage storage) {
  PetscInt lo = 0, n = 0, total = 0;
  PetscFunctionBeginUser;
  PetscCall(VecGetSize(v, &total));
  PetscCall(ownership(v, &lo, &n));
  const hsize_t cols = static_cast<hsize_t>(total);
  H5Dataset ds;
  if (!linkExists(file_, path)) {
    const auto slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) PetscCall(ensureGroup(path.substr(0, slash)));
    const hsize_t dims[2] = {0, cols}, maxdims[2] = {H5S_UNLIMITED, cols};
    // One row per chunk, capped so a chunk stays well under HDF5's 4 GiB limit and cheap to grow.
    const hsize_t chunk[2] = {1, std::min<hsize_t>(cols, 1 << 17)};
    H5Dataspace space(H5Screate_simple(2, dims, maxdims));
    H5Plist dcpl(H5Pcreate(H5P_DATASET_CREATE));
    H5Pset_chunk(dcpl, 2, chunk);
    if (storage.compression > 0) {
      // Byte shuffle first: the exponents of neighbouring neurons' values are alike, and gzip finds them.
      H5Pset_shuffle(dcpl);
      H5Pset_deflate(dcpl, static_cast<unsigned>(storage.compression));
    }
    // Single precision on disk: HDF5 converts the doubles while writing (round to nearest), no copy here.
    ds = H5Dataset(H5Dcreate2(file_, path.c_str(),
                              storage.singlePrecision ? H5T_IEEE_F32LE : H5T_NATIVE_DOUBLE, space,
                              H5P_DEFAULT, dcpl, H5P_DEFAULT));
  } else {
    ds = H5Dataset(H5Dopen2(file_, path.c_str(), H5P_DEFAULT)); // its type as created
  }
  EQRNN_CHECK_ALL(comm_, ds.valid(), PETSC_ERR_FILE_WRITE, "cannot open dataset '%s' in '%s'", path.c_str(),
                  path_.c_str());
  hsize_t cur[2] = {0, 0};
  {
    H5Dataspace s(H5Dget_space(ds));
    H5Sget_simple_extent_dims(s, cur, nullptr);
  }
  EQRNN_CHECK_ALL(comm_, cur[1] == cols, PETSC_ERR_FILE_UNEXPECTED,
                  "dataset '%s' has %llu columns, expected %llu", path.c_str(),
                  static_cast<unsigned long long>(cur[1]), static_cast<unsigned long long>(cols));
  const hsize_t newdims[2] = {cur[0] + 1, cols};
  EQRNN_CHECK_ALL(comm_, H5Dset_extent(ds, newdims) >= 0, PETSC_ERR_FILE_WRITE, "cannot extend '%s'",
                  path.c_str());
  H5Dataspace fspace(H5Dget_space(ds));
  const hsize_t start[2] = {cur[0], static_cast<hsize_t>(lo)}, cnt[2] = {1, static_cast<hsize_t>(n)};
  const hsize_t one = 1;
  H5Dataspace mspace(H5Screate_simple(1, n ? &cnt[1] : &one, nullptr));
  selectRange(fspace, mspace, &start[0], start[1], cnt[1]);
  const PetscScalar *a = nullptr;
  PetscCall(VecGetArrayRead(v, &a));
  H5Plist dxpl  = collectiveTransfer();
  const bool ok = H5Dwrite(ds, H5T_NATIVE_DOUBLE, mspace, fspace, dxpl, a) >= 0;
  PetscCall(VecRestoreArrayRead(v, &a));
  EQRNN_CHECK_ALL(comm_, ok && !injectedFault(FaultSite::Hdf5Write), PETSC_ERR_FILE_WRITE,
                  "appending to '%s' in '%s' failed", path.c_str(), path_.c_str());
  if (rows) *rows = newdims[0];
  PetscFunctionReturn(0);
}

PetscErrorCode Hdf5File::appendScalar(const std::string &path, double value) {
  PetscMPIInt rank = 0;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm_, &rank));
  H5Dataset ds;
  if (!linkExists(file_, path)) {
    const auto slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) PetscCall(ensureGroup(path.substr(0, slash)));
    const hsize_t dim = 0, maxdim = H5S_UNLIMITED, chunk = 256;
    H5Dataspace space(H5Screate_simple(1, &dim, &maxdim));
    H5Plist dcpl(H5Pcreate(H5P_DATASET_CREATE));
    H5Pset_chunk(dcpl, 1, &chunk);
    ds = H5Dataset(H5Dcreate2(file_, path.c_str(), H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT));
  } else {
    ds = H5Dataset(H5Dopen2(file_, path.c_str(), H5P_DEFAULT));
  }
  EQRNN_CHECK_ALL(comm_, ds.valid(), PETSC_ERR_FILE_WRITE, "cannot open dataset '%s'", path.c_str());
  hsize_t cur = 0;
  {
    H5Dataspace s(H5Dget_space(ds));
    H5Sget_simple_extent_dims(s, &cur, nullptr);
  }
  const hsize_t newdim = cur + 1;
  EQRNN_CHECK_ALL(comm_, H5Dset_extent(ds, &newdim) >= 0, PETSC_ERR_FILE_WRITE, "cannot extend '%s'",
                  path.c_str());
  H5Dataspace fspace(H5Dget_space(ds));
  const hsize_t cnt = rank == 0 ? 1 : 0;
  H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &cur, nullptr, &cnt, nullptr);
  if (cnt == 0) H5Sselect_none(fspace);
  const hsize_t one = 1;
  H5Dataspace mspace(H5Screate_simple(1, &one, nullptr));
  if (cnt == 0) H5Sselect_none(mspace);
  H5Plist dxpl  = collectiveTransfer();
  const bool ok = H5Dwrite(ds, H5T_NATIVE_DOUBLE, mspace, fspace, dxpl, &value) >= 0;
  EQRNN_CHECK_ALL(comm_, ok && !injectedFault(FaultSite::Hdf5Write), PETSC_ERR_FILE_WRITE,
                  "appending to '%s' failed", path.c_str());
  PetscFunctionReturn(0);
}

} // namespace eqrnn
