#pragma once
// The connectivity operator J r = (1/|G|) w * r (group convolution) on an abelian group, applied spectrally
// with FFTW and exposed as a PETSc MATSHELL. The FFT decomposition fixes the state-vector layout: every Vec
// that meets this operator is created by createVec().
//
// Strategies (chosen from the group and the number of ranks):
//   scalar  |G| = 1 (every factor of order 1): J is multiplication by w(e).
//   serial  one rank: serial r2c/c2r of the whole group, out of place straight from/to the Vec arrays.
//   slab    several ranks, >= 2 non-trivial factors: FFTW-MPI r2c slabs along the first factor, forward with
//           TRANSPOSED_OUT and back with TRANSPOSED_IN (two global transposes saved); the kernel spectrum is
//           computed with the same plan, so it lives in the same transposed layout.
//   line    several ranks, one non-trivial factor Z_N: FFTW-MPI has no distributed 1-D r2c, so a complex 1-D
//           transform with SCRAMBLED_OUT/IN (order irrelevant for a pointwise product). FFTW-MPI cannot split
//           some lengths (primes, small N); then the circular convolution on Z_N is embedded exactly into one
//           on Z_M, M >= 2N-1 smooth, and the state is scattered into the length-M layout.
// Size-1 factors are dropped from the transform (FFTW-MPI mishandles N x 1 shapes); they do not change the
// index.
#include "core/handles.hpp"
#include "groups/group.hpp"
#include <memory>
#include <string>
#include <vector>

namespace eqrnn {

enum class FftPlanner { Estimate, Measure, Patient };
PetscErrorCode parseFftPlanner(MPI_Comm comm, const std::string &name, FftPlanner *planner);

class GroupConvolution {
public:
  static PetscErrorCode create(MPI_Comm comm, const Group &group, FftPlanner planner,
                               std::unique_ptr<GroupConvolution> *out);
  ~GroupConvolution();
  GroupConvolution(const GroupConvolution &)            = delete;
  GroupConvolution &operator=(const GroupConvolution &) = delete;

  MPI_Comm comm() const { return comm_; }
  const Group &group() const { return group_; }
  PetscInt size() const { return group_.order(); }
  PetscInt localSize() const { return localN_; }
  PetscInt ownershipStart() const { return start_; }
  const std::string &strategy() const { return strategy_; }
  PetscInt transformLength() const { return transformLength_; } // M for the padded line strategy, else |G|

  PetscErrorCode createVec(Vec *v) const;
  // Sets the kernel w (a Vec over G in this layout) and computes its spectrum once.
  PetscErrorCode setKernel(Vec w);
  // y = J x. x and y must not alias.
  PetscErrorCode apply(Vec x, Vec y);
  // J_gg = w(e)/|G| for every g (the operator is a convolution, so its diagonal is constant).
  double diagonal() const { return diagonal_; }
  // A MATSHELL whose MatMult is apply() and MatGetDiagonal is diagonal(); valid while this object lives.
  PetscErrorCode createMat(Mat *J);
  // Bytes this rank holds for buffers and the kernel spectrum.
  std::size_t memoryBytes() const;

private:
  GroupConvolution() = default;
  PetscErrorCode setupScalar();
  PetscErrorCode setupSerial(unsigned flags);
  PetscErrorCode setupSlab(unsigned flags);
  PetscErrorCode setupLine(unsigned flags);
  PetscErrorCode forwardInPlace(); // work buffers -> spectrum layout (strategy specific)
  void multiplyBySpectrum(fftw_complex *c) const;

  MPI_Comm comm_ = MPI_COMM_NULL;
  Group group_;
  std::vector<ptrdiff_t> dims_; // non-trivial factor orders
  std::string strategy_;
  PetscInt localN_ = 0, start_ = 0, transformLength_ = 0;
  double diagonal_ = 0, scalarKernel_ = 0;

  // FFT data: real work array (serial: unpadded; slab: padded in the last dimension), complex work array (the
  // same memory as the real one for slab/line) and the kernel spectrum, premultiplied by 1/(M |G|).
  FftwArray<double> real_;
  FftwArray<fftw_complex> complex_;
  FftwArray<fftw_complex> spectrum_;
  bool realSpectrum_ = false; // even kernel: the product uses realSpectrumValues_
  FftwArray<double> realSpectrumValues_;
  ptrdiff_t realCount_ = 0, complexCount_ = 0, allocComplex_ = 0;
  ptrdiff_t rowLength_ = 0, paddedRow_ = 0; // slab copy geometry
  FftwPlan forward_, backward_;

  // line strategy with padding: state (length N) <-> work vector (length M, FFTW's input layout).
  VecHandle padded_;
  ScatterHandle embed_;
  ptrdiff_t lineLocal_ = 0, lineStart_ = 0;
};

} // namespace eqrnn
