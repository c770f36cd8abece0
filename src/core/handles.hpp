#pragma once
// RAII owners for PETSc, FFTW and HDF5 handles: non-copyable, movable, converting to the raw handle so they
// pass straight into library calls. Destruction errors are reported but cannot propagate (destructors).
#include <petscsys.h>
#include <petscvec.h>
#include <petscmat.h>
#include <petscts.h>
#include <petscis.h>
#include <fftw3-mpi.h>
#include <hdf5.h>
#include <memory>
#include <utility>

namespace eqrnn {

template <typename T, PetscErrorCode (*Destroy)(T *)> class PetscHandle {
public:
  PetscHandle() = default;
  explicit PetscHandle(T h) : h_(h) {}
  PetscHandle(const PetscHandle &)            = delete;
  PetscHandle &operator=(const PetscHandle &) = delete;
  PetscHandle(PetscHandle &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  PetscHandle &operator=(PetscHandle &&o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  ~PetscHandle() { reset(); }
  void reset() {
    if (h_) PetscCallVoid(Destroy(&h_));
    h_ = nullptr;
  }
  T *address() { // for the Create functions; releases what was held
    reset();
    return &h_;
  }
  operator T() const { return h_; }
  T get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr; }

private:
  T h_ = nullptr;
};

using VecHandle     = PetscHandle<Vec, VecDestroy>;
using MatHandle     = PetscHandle<Mat, MatDestroy>;
using TSHandle      = PetscHandle<TS, TSDestroy>;
using ISHandle      = PetscHandle<IS, ISDestroy>;
using ScatterHandle = PetscHandle<VecScatter, VecScatterDestroy>;
using ViewerHandle  = PetscHandle<PetscViewer, PetscViewerDestroy>;

// FFTW memory (aligned for SIMD) and plans.
struct FftwFree {
  void operator()(void *p) const { fftw_free(p); }
};
template <typename T> using FftwArray = std::unique_ptr<T[], FftwFree>;

class FftwPlan {
public:
  FftwPlan() = default;
  explicit FftwPlan(fftw_plan p) : p_(p) {}
  FftwPlan(const FftwPlan &)            = delete;
  FftwPlan &operator=(const FftwPlan &) = delete;
  FftwPlan(FftwPlan &&o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  FftwPlan &operator=(FftwPlan &&o) noexcept {
    if (this != &o) {
      reset();
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  ~FftwPlan() { reset(); }
  void reset() {
    if (p_) fftw_destroy_plan(p_);
    p_ = nullptr;
  }
  operator fftw_plan() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }

private:
  fftw_plan p_ = nullptr;
};

// HDF5 identifiers, closed with the function that matches their kind.
template <herr_t (*Close)(hid_t)> class H5Handle {
public:
  H5Handle() = default;
  explicit H5Handle(hid_t id) : id_(id) {}
  H5Handle(const H5Handle &)            = delete;
  H5Handle &operator=(const H5Handle &) = delete;
  H5Handle(H5Handle &&o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)) {}
  H5Handle &operator=(H5Handle &&o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  ~H5Handle() { reset(); }
  void reset() {
    if (id_ >= 0) Close(id_);
    id_ = H5I_INVALID_HID;
  }
  operator hid_t() const { return id_; }
  bool valid() const { return id_ >= 0; }

private:
  hid_t id_ = H5I_INVALID_HID;
};
using H5File      = H5Handle<H5Fclose>;
using H5Group     = H5Handle<H5Gclose>;
using H5Dataset   = H5Handle<H5Dclose>;
using H5Dataspace = H5Handle<H5Sclose>;
using H5Attribute = H5Handle<H5Aclose>;
using H5Plist     = H5Handle<H5Pclose>;
using H5Type      = H5Handle<H5Tclose>;

} // namespace eqrnn
