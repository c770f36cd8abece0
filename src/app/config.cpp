#include "app/config.hpp"

#include "core/options.hpp"
#include <cmath>
#include <sstream>

namespace eqrnn {

namespace {
template <typename T> std::string joinList(const std::vector<T> &v) {
  std::ostringstream o;
  for (std::size_t i = 0; i < v.size(); ++i)
    o << (i ? "," : "") << v[i];
  return o.str();
}
std::string joinReals(const std::vector<double> &v) {
  return joinList(v);
}
std::string joinInts(const std::vector<PetscInt> &v) {
  return joinList(v);
}
std::string joinStrings(const std::vector<std::string> &v) {
  return joinList(v);
}
} // namespace

PetscErrorCode readNetworkOptions(MPI_Comm comm, NetworkSpec *spec) {
  std::string phi, planner;
  PetscFunctionBeginUser;
  PetscOptionsBegin(comm, nullptr, "eqrnn network: group, kernel, transfer function, input", "eqrnn");
  OptionReader opt(comm, PetscOptionsObject);
  PetscCall(opt.string("-group",
                       "Group indexing the neurons: factors Z<n>, D<n>, S<n>, A<n>, Q8, P joined by x, e.g. "
                       "Z256, Z64xZ48, D12, S3xZ64xZ64",
                       spec->group, &spec->group));
  PetscCall(opt.string("-group_generators",
                       "Generators of the factor P, cycle notation: \"(1 2)(3 4), (1 3)\"",
                       spec->permutations, &spec->permutations));
  PetscCall(opt.integer("-channels", "Populations per group element (e.g. 2: excitatory and inhibitory)",
                        spec->channels, &spec->channels));
  KernelSpec &k = spec->kernel;
  PetscCall(opt.choice("-kernel", "Connectivity kernel w(g)",
                       {"cosine", "vonmises", "mexican", "fourier", "class", "irreps", "file"}, k.family,
                       &k.family));
  PetscCall(opt.realList("-kernel_class_values", "Class kernel: one value per conjugacy class (eqrnn group)",
                         &k.classValues));
  std::string irreps;
  PetscCall(opt.string("-kernel_irreps",
                       "Irreps kernel: irreps carrying the kernel, e.g. E1 or E1:chi1,A2:chi0", "", &irreps));
  k.irreps.clear();
  if (!irreps.empty()) k.irreps = splitList(irreps, ',');
  PetscCall(opt.realList("-kernel_irrep_gains", "Irreps kernel: eigenvalue of J on each listed irrep",
                         &k.irrepGains));
  PetscCall(opt.realList("-kernel_irrep_blocks",
                         "Irreps kernel: the blocks w^(k), d_k^2 values each (row-major), instead of gains",
                         &k.irrepBlocks));
  PetscCall(opt.realList("-kernel_coset_weights",
                         "Axis kernels on non-abelian groups: weight per finite part q", &k.cosetWeights));
  PetscCall(
      opt.realList("-kernel_channels", "Channel coupling matrix w_cc' (C x C, row-major)", &k.channelMatrix));
  PetscCall(opt.real("-J0", "Uniform part of the kernel", k.J0, &k.J0));
  PetscCall(opt.real("-J1", "Tuned amplitude of the kernel", k.J1, &k.J1));
  PetscCall(opt.real("-kappa", "Von Mises concentration (vonmises, mexican centre)", k.kappa, &k.kappa));
  PetscCall(opt.real("-J2", "Mexican hat: surround amplitude", k.J2, &k.J2));
  PetscCall(opt.real("-kappa2", "Mexican hat: surround concentration", k.kappa2, &k.kappa2));
  PetscCall(opt.intList("-fourier_modes", "Fourier kernel: wavevectors, one integer per group factor each",
                        &k.modes));
  PetscCall(
      opt.realList("-fourier_cos", "Fourier kernel: cosine coefficient of each wavevector", &k.cosCoeffs));
  PetscCall(
      opt.realList("-fourier_sin", "Fourier kernel: sine coefficient of each wavevector", &k.sinCoeffs));
  PetscCall(opt.string("-kernel_file", "File kernel: HDF5 file", k.file, &k.file));
  PetscCall(opt.string("-kernel_dataset", "File kernel: dataset over the group", k.dataset, &k.dataset));
  PetscCall(
      opt.choice("-phi", "Transfer function", {"tanh", "relu", "sigmoid", "linear"}, spec->phi.name(), &phi));
  TransferFunction::parse(phi, &spec->phi.kind);
  PetscCall(opt.real("-gain", "Transfer function gain", spec->phi.gain, &spec->phi.gain));
  PetscCall(opt.real("-threshold", "Transfer function threshold", spec->phi.threshold, &spec->phi.threshold));
  PetscCall(opt.real("-tau", "Time constant", spec->tau, &spec->tau));
  InputSpec &in = spec->input;
  PetscCall(opt.choice("-input", "External input", {"none", "constant", "bump"}, in.kind, &in.kind));
  PetscCall(opt.real("-input_amplitude", "Input amplitude", in.amplitude, &in.amplitude));
  PetscCall(
      opt.realList("-input_location", "Bump input centre, element coordinates per factor", &in.location));
  PetscCall(opt.real("-input_kappa", "Bump input concentration", in.kappa, &in.kappa));
  PetscCall(opt.real("-input_on", "Input switched on at this time", in.tOn, &in.tOn));
  bool offSet = false;
  double off  = 0;
  PetscCall(opt.real("-input_off", "Input switched off at this time (default: never)", 1e300, &off, &offSet));
  if (offSet) in.tOff = off;
  PetscCall(opt.real("-noise_sigma", "Additive noise: tau dx = ... dt + sigma dW (0: none; Euler-Maruyama)",
                     spec->noiseSigma, &spec->noiseSigma));
  PetscCall(opt.real("-noise_dt", "Euler-Maruyama step", spec->noiseDt, &spec->noiseDt));
  PetscInt noiseSeed = static_cast<PetscInt>(spec->noiseSeed);
  PetscCall(opt.integer("-noise_seed", "Seed of the noise (Philox, keyed with the step and neuron)",
                        noiseSeed, &noiseSeed));
  PetscCheck(spec->noiseSigma >= 0 && spec->noiseDt > 0 && noiseSeed >= 0, comm, PETSC_ERR_USER_INPUT,
             "-noise_sigma must be >= 0, -noise_dt > 0 and -noise_seed >= 0");
  spec->noiseSeed = static_cast<unsigned long long>(noiseSeed);
  PetscCall(opt.choice("-fft_planner", "FFTW planning effort", {"estimate", "measure", "patient"}, "estimate",
                       &planner));
  PetscCall(parseFftPlanner(comm, planner, &spec->fftPlanner));
  PetscOptionsEnd();
  PetscFunctionReturn(0);
}

PetscErrorCode readResumeOptions(OptionReader &opt, std::string *restart, PetscInt *stopAfterCheckpoints) {
  PetscFunctionBeginUser;
  PetscCall(opt.string("-restart",
                       "Resume: auto (newest valid checkpoint next to -output, else start) or FILE", *restart,
                       restart));
  PetscCall(opt.integer("-stop_after_checkpoints",
                        "Stop with status 85 after this many checkpoints (0: never)", *stopAfterCheckpoints,
                        stopAfterCheckpoints));
  PetscFunctionReturn(0);
}

PetscErrorCode readSimulateOptions(MPI_Comm comm, SimulateConfig *config) {
  PetscInt seed = 1;
  bool quiet    = false;
  PetscFunctionBeginUser;
  PetscCall(readNetworkOptions(comm, &config->network));
  PetscOptionsBegin(comm, nullptr, "eqrnn simulate: run options", "eqrnn");
  OptionReader opt(comm, PetscOptionsObject);
  SimulationSpec &run = config->run;
  PetscCall(opt.real("-t_final", "Final time", run.tFinal, &run.tFinal));
  PetscCall(opt.real("-save_interval", "Simulated time between saved samples (<= 0: initial and final only)",
                     run.saveInterval, &run.saveInterval));
  PetscCall(opt.real("-progress_interval", "Wall seconds between progress lines (0: none)",
                     run.progressInterval, &run.progressInterval));
  PetscCall(opt.flag("-quiet", "No progress lines", false, &quiet));
  if (quiet) run.progressInterval = 0;
  InitialStateSpec &init = config->init;
  PetscCall(opt.choice("-init", "Initial state", {"random", "zero", "bump", "file"}, init.kind, &init.kind));
  PetscCall(opt.real("-init_amplitude", "Initial state amplitude (random: standard deviation)",
                     init.amplitude, &init.amplitude));
  PetscCall(opt.integer("-seed", "Random seed (the same state on any number of ranks)", seed, &seed));
  PetscCheck(seed >= 0, comm, PETSC_ERR_USER_INPUT, "-seed must be >= 0 (got %" PetscInt_FMT ")", seed);
  init.seed = static_cast<unsigned long long>(seed);
  PetscCall(opt.realList("-init_location", "Bump initial state centre, element coordinates per factor",
                         &init.location));
  PetscCall(opt.real("-init_kappa", "Bump initial state concentration", init.kappa, &init.kappa));
  PetscCall(opt.string("-init_file", "Initial state file (HDF5)", init.file, &init.file));
  PetscCall(opt.string("-init_dataset", "Initial state dataset", init.dataset, &init.dataset));
  PetscCall(opt.string("-output", "Output HDF5 file", config->output, &config->output));
  PetscCall(opt.real("-checkpoint_interval", "Simulated time between checkpoints (0: none)",
                     run.checkpointInterval, &run.checkpointInterval));
  PetscCall(opt.real("-checkpoint_walltime", "Wall seconds between checkpoints (0: none)",
                     config->checkpointWalltime, &config->checkpointWalltime));
  PetscCall(readResumeOptions(opt, &config->restart, &config->stopAfterCheckpoints));
  PetscOptionsEnd();
  PetscCheck(config->run.checkpointInterval >= 0 && config->checkpointWalltime >= 0 &&
                 config->stopAfterCheckpoints >= 0,
             comm, PETSC_ERR_USER_INPUT,
             "-checkpoint_interval, -checkpoint_walltime and -stop_after_checkpoints must be >= 0");
  PetscCheck(config->run.tFinal >= 0, comm, PETSC_ERR_USER_INPUT, "-t_final must be >= 0 (got %g)",
             config->run.tFinal);
  PetscCheck(!config->output.empty(), comm, PETSC_ERR_USER_INPUT, "-output is empty");
  PetscFunctionReturn(0);
}

std::vector<Attribute> networkAttributes(const NetworkSpec &n) {
  const KernelSpec &k = n.kernel;
  return {
      {"group", n.group},
      {"group_generators", n.permutations},
      {"channels", static_cast<long long>(n.channels)},
      {"kernel", k.family},
      {"kernel_class_values", joinReals(k.classValues)},
      {"kernel_irreps", joinStrings(k.irreps)},
      {"kernel_irrep_gains", joinReals(k.irrepGains)},
      {"kernel_irrep_blocks", joinReals(k.irrepBlocks)},
      {"kernel_coset_weights", joinReals(k.cosetWeights)},
      {"kernel_channels", joinReals(k.channelMatrix)},
      {"J0", k.J0},
      {"J1", k.J1},
      {"kappa", k.kappa},
      {"J2", k.J2},
      {"kappa2", k.kappa2},
      {"fourier_modes", joinInts(k.modes)},
      {"fourier_cos", joinReals(k.cosCoeffs)},
      {"fourier_sin", joinReals(k.sinCoeffs)},
      {"kernel_file", k.file},
      {"kernel_dataset", k.dataset},
      {"phi", n.phi.name()},
      {"gain", n.phi.gain},
      {"threshold", n.phi.threshold},
      {"tau", n.tau},
      {"noise_sigma", n.noiseSigma},
      {"noise_dt", n.noiseDt},
      {"noise_seed", static_cast<long long>(n.noiseSeed)},
      {"input", n.input.kind},
      {"input_amplitude", n.input.amplitude},
      {"input_location", joinReals(n.input.location)},
      {"input_kappa", n.input.kappa},
      {"input_on", n.input.tOn},
      {"input_off", n.input.tOff},
  };
}

std::vector<Attribute> parameterAttributes(const SimulateConfig &c) {
  std::vector<Attribute> a = networkAttributes(c.network);
  std::vector<Attribute> run{
      {"t_final", c.run.tFinal},
      {"save_interval", c.run.saveInterval},
      {"init", c.init.kind},
      {"init_amplitude", c.init.amplitude},
      {"seed", static_cast<long long>(c.init.seed)},
      {"init_location", joinReals(c.init.location)},
      {"init_kappa", c.init.kappa},
      {"init_file", c.init.file},
      {"init_dataset", c.init.dataset},
      {"output", c.output},
      {"checkpoint_interval", c.run.checkpointInterval},
      {"checkpoint_walltime", c.checkpointWalltime},
  };
  a.insert(a.end(), run.begin(), run.end());
  return a;
}

std::vector<Attribute> parameterAttributes(const FixedPointConfig &c) {
  std::vector<Attribute> a = networkAttributes(c.network);
  const CensusSpec &s      = c.census;
  std::vector<Attribute> census{
      {"fp_starts", static_cast<long long>(s.randomStarts)},
      {"fp_amplitudes", s.amplitudes},
      {"fp_symmetry_seeds", static_cast<long long>(s.symmetrySeeds)},
      {"fp_seed", static_cast<long long>(s.seed)},
      {"fp_tol", s.tol},
      {"fp_max_it", static_cast<long long>(s.maxIterations)},
      {"fp_deflation_power", s.deflationPower},
      {"fp_deflation_shift", s.deflationShift},
      {"fp_same_tol", s.sameTol},
      {"fp_symmetry_tol", s.symmetryTol},
      {"fp_family_tol", s.familyTol},
      {"fp_input_time", s.inputTime},
      {"fp_stability", static_cast<long long>(s.stability)},
      {"stability_marginal_tol", s.stabilitySpec.marginalTol},
      {"output", c.output},
  };
  a.insert(a.end(), census.begin(), census.end());
  return a;
}

std::vector<Attribute> parameterAttributes(const StabilityConfig &c) {
  std::vector<Attribute> a = networkAttributes(c.network);
  std::vector<Attribute> more{
      {"state_file", c.stateFile}, {"state_dataset", c.stateDataset},
      {"input_time", c.inputTime}, {"stability_marginal_tol", c.stability.marginalTol},
      {"output", c.output},
  };
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

PetscErrorCode readFixedPointOptions(MPI_Comm comm, FixedPointConfig *config) {
  CensusSpec &s = config->census;
  PetscInt seed = 1;
  PetscFunctionBeginUser;
  PetscCall(readNetworkOptions(comm, &config->network));
  PetscOptionsBegin(comm, nullptr, "eqrnn fixedpoints: census options", "eqrnn");
  OptionReader opt(comm, PetscOptionsObject);
  PetscCall(opt.integer("-fp_starts", "Seeded random starts (besides x = 0 and the symmetry seeds)",
                        s.randomStarts, &s.randomStarts));
  PetscCall(opt.realList("-fp_amplitudes", "Amplitudes of the starts", &s.amplitudes));
  PetscCall(opt.flag("-fp_symmetry_seeds", "Starts built from the kernel's leading Fourier modes",
                     s.symmetrySeeds, &s.symmetrySeeds));
  PetscCall(opt.integer("-fp_seed", "Seed of the random starts", seed, &seed));
  PetscCheck(seed >= 0, comm, PETSC_ERR_USER_INPUT, "-fp_seed must be >= 0");
  s.seed = static_cast<unsigned long long>(seed);
  PetscCall(opt.real("-fp_tol", "Accept x when |F(x)| <= tol max(1, |x|)", s.tol, &s.tol));
  PetscCall(opt.integer("-fp_max_it", "Newton iterations per start", s.maxIterations, &s.maxIterations));
  PetscCall(opt.real("-fp_deflation_power", "Deflation exponent p", s.deflationPower, &s.deflationPower));
  PetscCall(opt.real("-fp_deflation_shift", "Deflation shift alpha", s.deflationShift, &s.deflationShift));
  PetscCall(opt.real("-fp_same_tol", "Same manifold when the orbits are this close (relative)", s.sameTol,
                     &s.sameTol));
  PetscCall(opt.real("-fp_symmetry_tol", "L_a x = x within this (relative) distance", s.symmetryTol,
                     &s.symmetryTol));
  PetscCall(opt.real("-fp_family_tol",
                     "One continuous family when a fractional translate is this close (relative)",
                     s.familyTol, &s.familyTol));
  PetscCall(opt.real("-fp_input_time", "Time at which the input is taken", s.inputTime, &s.inputTime));
  PetscCall(
      opt.flag("-fp_stability", "Also compute each manifold's spectrum (SLEPc)", s.stability, &s.stability));
  PetscCall(opt.real("-stability_marginal_tol", "|lambda| below this is a marginal mode",
                     s.stabilitySpec.marginalTol, &s.stabilitySpec.marginalTol));
  PetscCall(opt.flag("-stability_vectors", "Write the eigenvectors (/fixed_points/fp_i/eigenvectors)",
                     s.stabilitySpec.saveVectors, &s.stabilitySpec.saveVectors));
  PetscCall(opt.string("-output", "Output HDF5 file", config->output, &config->output));
  PetscCall(opt.integer("-checkpoint_starts", "Checkpoint the census every this many starts (0: never)",
                        config->checkpointStarts, &config->checkpointStarts));
  PetscCall(readResumeOptions(opt, &config->restart, &config->stopAfterCheckpoints));
  PetscOptionsEnd();
  PetscCheck(config->checkpointStarts >= 0 && config->stopAfterCheckpoints >= 0, comm, PETSC_ERR_USER_INPUT,
             "-checkpoint_starts and -stop_after_checkpoints must be >= 0");
  PetscFunctionReturn(0);
}

PetscErrorCode readStabilityOptions(MPI_Comm comm, StabilityConfig *config) {
  PetscFunctionBeginUser;
  PetscCall(readNetworkOptions(comm, &config->network));
  PetscOptionsBegin(comm, nullptr, "eqrnn stability: options", "eqrnn");
  OptionReader opt(comm, PetscOptionsObject);
  PetscCall(opt.string("-state_file", "HDF5 file with the state to analyse", config->stateFile,
                       &config->stateFile));
  PetscCall(
      opt.string("-state_dataset", "Dataset of the state", config->stateDataset, &config->stateDataset));
  PetscCall(opt.real("-stability_input_time", "Time at which the input is taken", config->inputTime,
                     &config->inputTime));
  PetscCall(opt.real("-stability_marginal_tol", "|lambda| below this is a marginal mode",
                     config->stability.marginalTol, &config->stability.marginalTol));
  PetscCall(opt.flag("-stability_vectors", "Write the eigenvectors (/fixed_points/fp_0/eigenvectors)",
                     config->stability.saveVectors, &config->stability.saveVectors));
  PetscCall(opt.string("-output", "Output HDF5 file", config->output, &config->output));
  PetscOptionsEnd();
  PetscCheck(!config->stateFile.empty(), comm, PETSC_ERR_USER_INPUT,
             "eqrnn stability needs -state_file FILE.h5 (e.g. a fixed point or a simulation's /final/x)");
  PetscFunctionReturn(0);
}

PetscErrorCode readReduceOptions(MPI_Comm comm, ReduceConfig *config) {
  ReduceSpec &r = config->reduce;
  PetscInt seed = 1;
  std::string irreps;
  PetscFunctionBeginUser;
  PetscCall(readNetworkOptions(comm, &config->network));
  PetscOptionsBegin(comm, nullptr, "eqrnn reduce: reduced model options", "eqrnn");
  OptionReader opt(comm, PetscOptionsObject);
  PetscCall(opt.string("-reduce_irreps", "Fourier support K of the kernel (default: the irreps kernel's own)",
                       "", &irreps));
  r.irreps.clear();
  if (!irreps.empty()) r.irreps = splitList(irreps, ',');
  PetscCall(
      opt.integer("-reduce_starts", "Random starts for Newton on the reduced model", r.starts, &r.starts));
  PetscCall(opt.realList("-reduce_amplitudes", "Start amplitudes (per-neuron RMS)", &r.amplitudes));
  PetscCall(opt.integer("-reduce_seed", "Seed of the random starts", seed, &seed));
  PetscCheck(seed >= 0, comm, PETSC_ERR_USER_INPUT, "-reduce_seed must be >= 0");
  r.seed = static_cast<unsigned long long>(seed);
  PetscCall(opt.real("-reduce_tol", "Accept a when |F(a)| <= tol max(1, |a|)", r.tol, &r.tol));
  PetscCall(opt.integer("-reduce_max_it", "Newton iterations per start", r.maxIterations, &r.maxIterations));
  PetscCall(opt.real("-reduce_same_tol", "Same orbit when this close (relative)", r.sameTol, &r.sameTol));
  PetscCall(opt.real("-reduce_symmetry_tol", "L_a x = x within this (relative) distance", r.symmetryTol,
                     &r.symmetryTol));
  PetscCall(opt.real("-stability_marginal_tol", "|lambda| below this is a marginal mode", r.marginalTol,
                     &r.marginalTol));
  PetscCall(opt.flag("-reduce_verify", "Lift each fixed point and check it on the full network (SLEPc)",
                     r.verify, &r.verify));
  PetscCall(opt.string("-output", "Output HDF5 file", config->output, &config->output));
  PetscOptionsEnd();
  PetscFunctionReturn(0);
}

PetscErrorCode readGroupOptions(MPI_Comm comm, GroupConfig *config) {
  PetscFunctionBeginUser;
  PetscOptionsBegin(comm, nullptr, "eqrnn group: options", "eqrnn");
  OptionReader opt(comm, PetscOptionsObject);
  PetscCall(opt.string("-group", "Group: factors Z<n>, D<n>, S<n>, A<n>, Q8, P joined by x", config->group,
                       &config->group));
  PetscCall(opt.string("-group_generators", "Generators of the factor P, cycle notation",
                       config->permutations, &config->permutations));
  PetscCall(
      opt.flag("-elements", "Also list the elements in index order", config->elements, &config->elements));
  PetscOptionsEnd();
  PetscFunctionReturn(0);
}

std::vector<Attribute> parameterAttributes(const ReduceConfig &c) {
  std::vector<Attribute> a = networkAttributes(c.network);
  const ReduceSpec &r      = c.reduce;
  std::vector<Attribute> more{{"reduce_irreps", joinStrings(r.irreps)},
                              {"reduce_starts", static_cast<long long>(r.starts)},
                              {"reduce_amplitudes", joinReals(r.amplitudes)},
                              {"reduce_seed", static_cast<long long>(r.seed)},
                              {"reduce_tol", r.tol},
                              {"reduce_same_tol", r.sameTol},
                              {"reduce_symmetry_tol", r.symmetryTol},
                              {"output", c.output}};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

} // namespace eqrnn
