#pragma once
// The connectivity operator (J r)_c(g) = (1/|G|) sum_h sum_c' w_cc'(h^-1 g) r_c'(h) (group convolution, C
// channels) applied spectrally with FFTW and exposed as a PETSc MATSHELL. The group is G = A x| Q (see
// group.hpp): A is the product of the cyclic axes (rings, tori, dihedral rotations), Q the product of the
// finite parts. With g = (a, q) and h = (b, p), h^-1 g = (sigma_p (a - b), p^-1 q) where sigma_p flips the
// axes p reflects, so
//     (J r)_{q,c}(a) = (1/|G|) sum_{p,c'} [w_cc'(sigma_p ., p^-1 q) *_A r_{p,c'}](a):
// per frequency nu of A, a dense M x M block (M = |Q| C) acting on the M transformed components; the blocks'
// entries are the spectra of the kernel components reflected by each sigma. Cost O(N log |A| + N M): N log N
// for rings and tori (M = 1) and D_n (M = 2), a dense |Q| x |Q| product per frequency for S4 x Z_n x Z_n.
//
// State layout: index (g * C + c) with g = a |Q| + q, i.e. M consecutive components per axis point a.
// Kernel layout: index (g * C + c) * C + c', i.e. |Q| C^2 consecutive values per axis point.
//
// Strategies (chosen from the group and the number of ranks):
//   dense   |A| = 1 (no axis, e.g. S4): the M x M block itself, on rank 0.
//   serial  one rank: serial r2c/c2r over A; M = 1 in place in one padded buffer, M > 1 out of place with M
//           interleaved components.
//   slab    several ranks, >= 2 non-trivial axes: FFTW-MPI r2c slabs along the first axis, forward with
//           TRANSPOSED_OUT and back with TRANSPOSED_IN (two global transposes saved); the kernel spectrum is
//           computed with the same plan, so it lives in the same transposed layout.
//   line    several ranks, one non-trivial axis Z_N: FFTW-MPI has no distributed 1-D r2c, so a complex 1-D
//           transform with SCRAMBLED_OUT/IN (order irrelevant for a per-frequency product). FFTW-MPI cannot
//           split some lengths (primes, small N); then the circular convolution on Z_N is embedded exactly
//           into one on Z_L, L >= 2N-1 smooth, and the state is scattered into the length-L layout
//           (line-padded). A ring of even order with one component (M = 1) takes the real-data packing
//           instead (line-real): z_j = x_2j + i x_2j+1, one complex transform of half the length, and per
//           frequency k the product V_k = alpha_k Z_k + beta_k conj(Z_{N/2-k}) (the unpacking, the kernel's
//           W_k, W_{k+N/2} and the repacking in two complex factors), the partners exchanged by one
//           VecScatter: half the transform and half the communication of the complex line.
// Size-1 axes are dropped from the transform (FFTW-MPI mishandles N x 1 shapes); they do not change the
// index.
//
// A ConvolutionEngine owns the plans and work buffers of one layout (comm, group, channels, planner); a
// KernelSpectrum holds one kernel's spectra in that layout. One engine serves any number of kernels (the
// orbit tools keep two spectra per known state) and the Fourier multipliers along the axes (fractional
// translations, derivatives). GroupConvolution is an engine, shared or its own, with one kernel: the
// connectivity J as a MATSHELL.
#include "core/handles.hpp"
#include "groups/group.hpp"
#include <complex>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace eqrnn {

constexpr int kBlockChunk = 8; // frequencies per vectorised block-product step

enum class FftPlanner { Estimate, Measure, Patient };
PetscErrorCode parseFftPlanner(MPI_Comm comm, const std::string &name, FftPlanner *planner);

// How the transform is laid out and distributed (see above).
enum class ConvolutionStrategy { Dense, Serial, Slab, Line, LinePadded, LineReal };
// "dense", "serial", "slab", "line", "line-padded": the names written to output files.
const char *strategyName(ConvolutionStrategy strategy); // ... and "line-real"

// A state y (state layout) as the kernel: Diagonal w_cc'(g) = delta_cc' y_c(g) (then J r = (1/|G|) y * r per
// channel: with r an impulse at a, |G| J r = L_a y), or Rows w_cc'(g) = y_c'(g) (every output channel sums
// over the input channels: correlations).
enum class StateKernel { Diagonal, Rows };

// The spectra of one kernel in an engine's layout (premultiplied by 1/(L |G|)): real for M = 1 and an even
// kernel, complex for M = 1 otherwise, chunk-major split block spectra for M > 1; and the diagonal of J.
class KernelSpectrum {
public:
  KernelSpectrum()                                      = default;
  KernelSpectrum(KernelSpectrum &&) noexcept            = default;
  KernelSpectrum &operator=(KernelSpectrum &&) noexcept = default;
  bool empty() const { return diagonal_.empty(); }
  // J_(g,c),(g,c) = w_cc(e)/|G| (0 while empty).
  double diagonal(PetscInt c = 0) const {
    return static_cast<std::size_t>(c) < diagonal_.size() ? diagonal_[c] : 0.0;
  }
  std::size_t memoryBytes() const;

private:
  friend class ConvolutionEngine;
  ptrdiff_t modes_        = 0; // local frequencies and kernel components: the layout it was computed in
  std::size_t components_ = 0;
  bool real_              = false;
  FftwArray<double> realValues_;          // M = 1, even kernel
  FftwArray<fftw_complex> complex_;       // M = 1, other kernels: [frequency]; line-real: alpha
  FftwArray<fftw_complex> partnerFactor_; // line-real: beta
  FftwArray<double> blockRe_, blockIm_;   // M > 1: [chunk][component][kBlockChunk]
  std::vector<double> diagonal_;          // per channel
};

// A filter along the cyclic axes acting alike on every finite part and channel, y(a, q) = sum_b D(b) x(a - b,
// q) with D(b) = prod_i D_i(b_i), given per axis i (indexed like Group::axisOrders(); axes of order 1 are
// ignored) twice: as the Fourier multiplier m_i(k) = sum_j D_i(j) e^{-2 pi i k j / n_i}, k = 0 .. n_i - 1
// (k > n_i/2 is the frequency k - n_i), and as the kernel D_i(j) itself. The engine uses the multipliers
// where its transform runs over the axes themselves and the kernel where it runs over a padded ring (a phase
// in Z_L is no translation in Z_N). Both must describe one real filter: m_i(-k) = conj(m_i(k)).
struct AxisFilter {
  std::vector<std::vector<std::complex<double>>> multiplier;
  std::vector<std::vector<double>> kernel;
};

// Pointwise maps fused into the copies a product makes anyway (one pass over memory, and no vector for the
// mapped values): the input on its way into the transform buffer (phi for J phi(x), phi'(x*) o v for the
// Jacobian), the result on its way out ((J r - x + I) / tau). A map gets n consecutive values that sit at
// local index `offset` of the rank's part of the state, so that it can read other state-layout arrays there;
// in and out may be the same array.
using PointwiseMap = std::function<void(const double *in, double *out, std::size_t n, std::size_t offset)>;
struct ProductMaps {
  const PointwiseMap *input  = nullptr; // r = input(x), then J r
  const PointwiseMap *output = nullptr; // y = output(J r)
};

// The FFT layout: plans, work buffers and the distribution of states, for any number of kernels. Its
// operations are collective and use the shared buffers: one at a time.
class ConvolutionEngine {
public:
  static PetscErrorCode create(MPI_Comm comm, const Group &group, PetscInt channels, FftPlanner planner,
                               std::shared_ptr<ConvolutionEngine> *out);
  ~ConvolutionEngine();
  ConvolutionEngine(const ConvolutionEngine &)            = delete;
  ConvolutionEngine &operator=(const ConvolutionEngine &) = delete;

  MPI_Comm comm() const { return comm_; }
  const Group &group() const { return group_; }
  PetscInt channels() const { return channels_; }
  PetscInt size() const { return group_.order() * channels_; } // state length N = |G| C
  PetscInt localSize() const { return localN_; }
  PetscInt ownershipStart() const { return start_; }
  PetscInt blockSize() const { return blockM_; } // M = |Q| C
  ConvolutionStrategy strategy() const { return strategy_; }
  const char *strategyName() const { return eqrnn::strategyName(strategy_); }
  PetscInt transformLength() const { return transformLength_; } // L for the padded line strategy, else |A|

  PetscErrorCode createVec(Vec *v) const;
  PetscErrorCode createKernelVec(Vec *v) const; // |G| C^2 values, distributed like the state

  // The spectra of the kernel w (kernel layout), computed with this engine's plan.
  PetscErrorCode computeSpectrum(Vec w, KernelSpectrum *s);
  PetscErrorCode computeSpectrumFromState(Vec y, StateKernel mode, KernelSpectrum *s);
  // y = J_s x, or y = output(J_s input(x)) with maps. x and y must not alias.
  PetscErrorCode apply(const KernelSpectrum &s, Vec x, Vec y, const ProductMaps &maps = {});
  PetscErrorCode fillDiagonal(const KernelSpectrum &s, Vec d) const;
  // y = D * x for a filter along the axes (fractional translations, derivatives). x and y must not alias.
  PetscErrorCode applyAxisFilter(const AxisFilter &filter, Vec x, Vec y);
  // Bytes this rank holds for plans' buffers (not counting kernel spectra).
  std::size_t memoryBytes() const;

private:
  ConvolutionEngine() = default;
  PetscErrorCode setupDense();
  PetscErrorCode setupSerial(unsigned flags);
  PetscErrorCode setupSlab(unsigned flags);
  PetscErrorCode setupLine(unsigned flags);
  PetscErrorCode setupLineReal(unsigned flags, bool *ok);
  // line-real: partner_[p] = Z at the frequency N/2 - k of local position p (k = packedFreq_[p]).
  PetscErrorCode exchangePartners();
  // line-real: c_p <- alpha_p c_p + beta_p conj(partner_p).
  void packedProduct(const fftw_complex *alpha, const fftw_complex *beta, fftw_complex *c) const;
  // line-real: alpha and beta of local position p for the spectra W_k and W_{k+N/2} of a real filter.
  // t_k = e^{-2 pi i k / N} for the frequency k at local position p of the packed transform.
  std::complex<double> packedTwiddle(ptrdiff_t p) const;
  void packedFactors(std::complex<double> w1, std::complex<double> w2, ptrdiff_t p, fftw_complex alpha,
                     fftw_complex beta) const;
  void setupBlockTable();
  // Loads a state-layout Vec (through the map, if any) into the transform input and transforms; returns the
  // spectrum (nFreq_ x M).
  PetscErrorCode forward(Vec x, bool periodicEmbedding, fftw_complex **spectrum,
                         const PointwiseMap *map = nullptr);
  // The padded in-place layout (slab, and serial for M = 1): rows into the buffer and transform; inverse
  // transform and rows out.
  PetscErrorCode copyRowsIn(Vec x, const PointwiseMap *map);
  PetscErrorCode copyRowsOut(Vec y, const PointwiseMap *map);
  // The inverse transform of the work spectrum into y (state layout), through the map if any.
  PetscErrorCode backward(Vec y, const PointwiseMap *map = nullptr);
  PetscErrorCode reflectAxes(Vec w, unsigned pattern, Vec out) const;
  void multiplyBySpectrum(const KernelSpectrum &s, fftw_complex *c);
  // One component's spectrum (K = 1) from the transform output c, times scale: real or complex.
  PetscErrorCode keepSpectrum(const fftw_complex *c, double scale, KernelSpectrum *out) const;
  // freqIndex_: per local frequency, its index along each of dims_ (filled on first use).
  PetscErrorCode findFrequencies();

  MPI_Comm comm_ = MPI_COMM_NULL;
  Group group_;
  PetscInt channels_ = 1, blockM_ = 1, kernelM_ = 1;
  std::vector<ptrdiff_t> dims_;      // non-trivial axis orders
  std::vector<std::size_t> dimAxis_; // the factor each of dims_ belongs to
  std::vector<unsigned> patterns_;   // distinct reflection patterns (bit i: dims_[i] flipped)
  std::vector<int> patternOf_;       // per finite part p: index into patterns_
  std::vector<int> blockTable_;      // M x M: kernel component feeding output i from input j
  ConvolutionStrategy strategy_ = ConvolutionStrategy::Dense;
  PetscInt localN_ = 0, start_ = 0, transformLength_ = 0;

  // FFT data: real work array (serial: unpadded; slab: padded in the last dimension), complex work array (the
  // same memory as the real one for slab/line). The state spectrum: nFreq_ frequencies x M components.
  FftwArray<double> real_;
  FftwArray<fftw_complex> complex_;
  std::size_t kernelComponents_ = 0;
  std::vector<double> blockScratch_; // 4 M kBlockChunk doubles
  ptrdiff_t nFreq_ = 0, allocComplex_ = 0;
  ptrdiff_t freqStride_ = 0, compStride_ = 1; // spectrum layout: component m of frequency f at f fs + m cs
  ptrdiff_t rowLength_ = 0, paddedRow_ = 0;   // padded copy geometry (doubles): slab, in-place serial
  bool inPlace_ = false;                      // serial with M = 1: one padded buffer, no complex_
  FftwPlan forward_, backward_;
  std::vector<int> freqIndex_; // [frequency][dims_.size()], see findFrequencies()
  bool haveFrequencies_ = false;

  // line strategy with padding: state (length N M) <-> work vector (length L M, FFTW's input layout).
  VecHandle padded_, mapped_; // mapped_: a mapped input before its scatter (made on first use)
  ScatterHandle embed_, wrap_;
  // line-real: the frequency of each local position, the partners' values, and the Vecs over the spectrum and
  // partner arrays for their exchange.
  std::vector<PetscInt> packedFreq_;
  FftwArray<fftw_complex> partner_;
  VecHandle spectrumVec_, partnerVec_;
  ScatterHandle partnerScatter_;
  ptrdiff_t lineLocal_ = 0, lineStart_ = 0;
};

// The connectivity operator: an engine (its own, or shared with other users of the same layout) and one
// kernel.
class GroupConvolution {
public:
  static PetscErrorCode create(MPI_Comm comm, const Group &group, PetscInt channels, FftPlanner planner,
                               std::unique_ptr<GroupConvolution> *out);
  static PetscErrorCode create(MPI_Comm comm, const Group &group, FftPlanner planner,
                               std::unique_ptr<GroupConvolution> *out) {
    return create(comm, group, 1, planner, out);
  }
  // On an existing engine (no new plans).
  static PetscErrorCode create(std::shared_ptr<ConvolutionEngine> engine,
                               std::unique_ptr<GroupConvolution> *out);
  ~GroupConvolution();
  GroupConvolution(const GroupConvolution &)            = delete;
  GroupConvolution &operator=(const GroupConvolution &) = delete;

  ConvolutionEngine &engine() const { return *engine_; }
  const std::shared_ptr<ConvolutionEngine> &sharedEngine() const { return engine_; }
  MPI_Comm comm() const { return engine_->comm(); }
  const Group &group() const { return engine_->group(); }
  PetscInt channels() const { return engine_->channels(); }
  PetscInt size() const { return engine_->size(); } // state length N = |G| C
  PetscInt localSize() const { return engine_->localSize(); }
  PetscInt ownershipStart() const { return engine_->ownershipStart(); }
  PetscInt blockSize() const { return engine_->blockSize(); } // M = |Q| C
  ConvolutionStrategy strategy() const { return engine_->strategy(); }
  const char *strategyName() const { return engine_->strategyName(); }    // as recorded in output files
  PetscInt transformLength() const { return engine_->transformLength(); } // L for line-padded, else |A|

  PetscErrorCode createVec(Vec *v) const { return engine_->createVec(v); }
  PetscErrorCode createKernelVec(Vec *v) const { return engine_->createKernelVec(v); }
  // Sets the kernel w (kernel layout) and computes its spectra once.
  PetscErrorCode setKernel(Vec w);
  using StateKernel = eqrnn::StateKernel;
  PetscErrorCode setKernelFromState(Vec y, StateKernel mode);
  const KernelSpectrum &spectrum() const { return spectrum_; }
  // y = J x, or y = output(J input(x)) with maps. x and y must not alias.
  PetscErrorCode apply(Vec x, Vec y, const ProductMaps &maps = {});
  // Other kernels on the same engine (see ConvolutionEngine).
  PetscErrorCode computeSpectrum(Vec w, KernelSpectrum *s) { return engine_->computeSpectrum(w, s); }
  PetscErrorCode computeSpectrumFromState(Vec y, StateKernel mode, KernelSpectrum *s) {
    return engine_->computeSpectrumFromState(y, mode, s);
  }
  PetscErrorCode apply(const KernelSpectrum &s, Vec x, Vec y, const ProductMaps &maps = {}) {
    return engine_->apply(s, x, y, maps);
  }
  // J_(g,c),(g,c) = w_cc(e)/|G| (the operator is a convolution: the diagonal depends on the channel only).
  double diagonal(PetscInt c = 0) const { return spectrum_.diagonal(c); }
  PetscErrorCode fillDiagonal(Vec d) const { return engine_->fillDiagonal(spectrum_, d); }
  // A MATSHELL whose MatMult is apply() and MatGetDiagonal is diagonal(); valid while this object lives.
  PetscErrorCode createMat(Mat *J);
  // Bytes this rank holds for buffers and the kernel spectrum (the engine's counted in full even if shared).
  std::size_t memoryBytes() const;

private:
  GroupConvolution() = default;
  std::shared_ptr<ConvolutionEngine> engine_;
  KernelSpectrum spectrum_;
};

} // namespace eqrnn
