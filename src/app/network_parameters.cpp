// The parameters every network command shares (simulate, fixedpoints, stability, reduce): one declaration
// each, from which reading, -help, /parameters and checkpoint identities follow.
#include "app/commands.hpp"

namespace eqrnn {

namespace {
const std::vector<std::pair<const char *, FftPlanner>> &plannerNames() {
  static const std::vector<std::pair<const char *, FftPlanner>> names{
      {"estimate", FftPlanner::Estimate}, {"measure", FftPlanner::Measure}, {"patient", FftPlanner::Patient}};
  return names;
}
} // namespace

void declareNetwork(ParameterSet &p, NetworkSpec &s) {
  KernelSpec &k = s.kernel;
  InputSpec &in = s.input;
  p.section("network: group and channels");
  p.text("group", &s.group,
         "Group indexing the neurons: factors Z<n>, D<n>, S<n>, A<n>, Q8, P joined by x (Z256, Z64xZ48, D12, "
         "S3xZ64xZ64)")
      .identity();
  p.text("group_generators", &s.permutations,
         "Generators of the factor P, cycle notation: \"(1 2)(3 4), (1 3)\"")
      .identity();
  p.integer("channels", &s.channels, "Populations per group element (state index g C + c)")
      .atLeast(1)
      .identity();
  p.section("kernel: w(g), the connectivity (J r)(g) = (1/|G|) sum_h w(h^-1 g) r(h)");
  p.choice("kernel", &k.family, kernelFamilyNames(), "Kernel family").identity();
  p.reals("kernel_class_values", &k.classValues,
          "class: one value per conjugacy class (order of eqrnn group)")
      .identity();
  p.words("kernel_irreps", &k.irreps, "irreps: the irreps carrying the kernel, e.g. E1 or E1:chi1,A2:chi0")
      .identity();
  p.reals("kernel_irrep_gains", &k.irrepGains, "irreps: the eigenvalue of J on each listed irrep").identity();
  p.reals("kernel_irrep_blocks", &k.irrepBlocks,
          "irreps: the blocks w^(k), d_k^2 values each (row-major), instead of gains")
      .identity();
  p.reals("kernel_coset_weights", &k.cosetWeights,
          "Axis kernels on non-abelian groups: a weight per finite part q")
      .identity();
  p.reals("kernel_channels", &k.channelMatrix,
          "Channel coupling w_cc'(g) = m_cc' w(g), C x C row-major (default: I)")
      .identity();
  p.real("J0", &k.J0, "Uniform part of the kernel").identity();
  p.real("J1", &k.J1, "Tuned amplitude of the kernel").identity();
  p.real("kappa", &k.kappa, "Von Mises concentration (vonmises, mexican centre)").atLeast(0).identity();
  p.real("J2", &k.J2, "mexican: surround amplitude").identity();
  p.real("kappa2", &k.kappa2, "mexican: surround concentration").atLeast(0).identity();
  p.integers("fourier_modes", &k.modes, "fourier: wavevectors, one integer per group factor each").identity();
  p.reals("fourier_cos", &k.cosCoeffs, "fourier: cosine coefficient of each wavevector").identity();
  p.reals("fourier_sin", &k.sinCoeffs, "fourier: sine coefficient of each wavevector").identity();
  p.text("kernel_file", &k.file, "file: HDF5 file holding the kernel").identity();
  p.text("kernel_dataset", &k.dataset, "file: dataset of |G| or |G| C^2 values").identity();
  p.section("transfer function and dynamics");
  p.choice("phi", &s.phi.kind, transferNames(), "Transfer function phi").identity();
  p.real("gain", &s.phi.gain, "Gain g: phi(x) = f(g (x - threshold))").above(0).identity();
  p.real("threshold", &s.phi.threshold, "Threshold of phi").identity();
  p.real("tau", &s.tau, "Time constant: tau dx/dt = -x + J phi(x) + I").above(0).identity();
  p.real("noise_sigma", &s.noiseSigma, "Additive noise: tau dx = ... dt + sigma dW (0: none; Euler-Maruyama)")
      .atLeast(0)
      .identity();
  p.real("noise_dt", &s.noiseDt, "Euler-Maruyama step").above(0).identity();
  p.integer("noise_seed", &s.noiseSeed, "Seed of the noise (Philox, keyed with the step and neuron)")
      .identity();
  p.section("input I(g, t)");
  p.choice("input", &in.kind, inputKindNames(), "External input: none, the amplitude everywhere, or a bump")
      .identity();
  p.real("input_amplitude", &in.amplitude, "Input amplitude").identity();
  p.reals("input_location", &in.location, "Bump input centre, element coordinates per factor").identity();
  p.real("input_kappa", &in.kappa, "Bump input concentration").atLeast(0).identity();
  p.real("input_on", &in.tOn, "Input switched on at this time").identity();
  p.real("input_off", &in.tOff, "Input switched off at this time").special("never", in.tOff).identity();
  p.section("performance");
  p.choice("fft_planner", &s.fftPlanner, plannerNames(),
           "FFTW planning effort (measure, patient: slower start, faster products)");
}

void declareResume(ParameterSet &p, ResumeSettings &s, bool walltime) {
  if (walltime)
    p.real("checkpoint_walltime", &s.checkpointWalltime,
           "Also checkpoint after this many wall seconds (0: never)")
        .atLeast(0);
  p.text("restart", &s.restart, "Resume: auto (newest valid checkpoint next to -output, else start) or FILE");
  p.integer("stop_after_checkpoints", &s.stopAfterCheckpoints,
            "Stop with exit status 85 after this many checkpoints (0: never)")
      .atLeast(0);
}

PetscErrorCode networkCheckpointIdentity(RateNetwork &net, CheckpointKind kind, std::string parameters,
                                         CheckpointIdentity *id) {
  PetscFunctionBeginUser;
  id->kind           = kind;
  id->group          = net.group().spec();
  id->neurons        = net.connectivity().size();
  id->channels       = net.channels();
  id->parameters     = std::move(parameters);
  id->kernelChecksum = net.kernelChecksum();
  PetscFunctionReturn(0);
}

} // namespace eqrnn
