// eqrnn train: a recurrent network trained to integrate D signals at once (THEORY.md section 5),
// data-parallel over MPI, with checkpoints, and the analysis of the trained network.
#include "app/commands.hpp"

#include "core/options.hpp"
#include "core/session.hpp"
#include "core/signals.hpp"
#include "io/checkpoint.hpp"
#include "io/simulation_output.hpp"
#include "training/linalg.hpp"
#include "training/training_io.hpp"
#include <algorithm>
#include <cmath>
#include <sstream>

namespace eqrnn {

using namespace training;

namespace {
// A list option with one value per channel (or one value for all channels).
PetscErrorCode perChannel(MPI_Comm comm, const char *name, PetscInt D, std::vector<double> *v) {
  PetscFunctionBeginUser;
  PetscCheck(!v->empty(), comm, PETSC_ERR_USER_INPUT, "%s: no value given", name);
  if (v->size() == 1) v->assign(static_cast<std::size_t>(D), v->front());
  PetscCheck(static_cast<PetscInt>(v->size()) == D, comm, PETSC_ERR_USER_INPUT,
             "%s: %zu values for D = %" PetscInt_FMT " channels (give one per channel, or one for all)", name,
             v->size(), D);
  PetscFunctionReturn(0);
}
} // namespace

PetscErrorCode readTrainOptions(MPI_Comm comm, TrainConfig *config) {
  TrainSpec &s      = config->spec;
  ModelSpec &m      = s.model;
  TaskSpec &task    = s.task;
  OptimizerSpec &op = s.optimizer;
  std::string form = formName(m.form), phi = activationName(m.phi), optimizer = "adam", precision = "double";
  PetscInt seed = static_cast<PetscInt>(s.seed), testSeed = static_cast<PetscInt>(config->analysis.testSeed);
  std::vector<double> decay{0.995}, scale{1.0};
  bool quiet = false;
  PetscFunctionBeginUser;
  PetscOptionsBegin(comm, nullptr, "eqrnn train: model", "eqrnn");
  OptionReader opt(comm, PetscOptionsObject);
  PetscCall(opt.integer("-n", "Neurons", m.n, &m.n));
  PetscCall(opt.integer("-D", "Channels (signals integrated at once)", m.D, &m.D));
  PetscCall(opt.choice("-form", "authors: h = phi(W (h + E x)) + b; common: h = phi(W h + E x + b)",
                       {"authors", "common"}, form, &form));
  PetscCall(opt.choice("-phi", "Transfer function phi(a) = f(slope (a - threshold))",
                       {"linear", "relu", "sigmoid", "tanh"}, phi, &phi));
  PetscCall(opt.real("-slope", "Slope of phi", m.slope, &m.slope));
  PetscCall(opt.real("-threshold", "Threshold of phi", m.threshold, &m.threshold));
  PetscCall(
      opt.real("-relu_derivative_at_zero",
               "ReLU: phi'(threshold) / slope, a subgradient in [0, 1] (1: networks started at W = 0 learn)",
               m.reluDerivativeAtZero, &m.reluDerivativeAtZero));
  PetscCall(opt.real("-init_radius",
                     "Initial W: 0 = null initialisation, else N(0, 1/n) with this spectral radius",
                     m.initRadius, &m.initRadius));
  PetscCall(opt.real("-bias", "Initial value of every b_i", m.bias, &m.bias));
  PetscCall(opt.real("-dale_inhibitory_fraction",
                     "Dale's law: fraction of inhibitory neurons, W used = |W| diag(+-1) (0: no Dale's law)",
                     m.daleFraction, &m.daleFraction));
  PetscCall(opt.flag("-train_encoders", "Also train the encoders e_c", m.trainEncoders, &m.trainEncoders));
  PetscCall(opt.flag("-train_decoders", "Also train the decoders d_c", m.trainDecoders, &m.trainDecoders));
  PetscCall(opt.flag("-train_bias", "Also train the bias b", m.trainBias, &m.trainBias));
  PetscOptionsEnd();

  PetscOptionsBegin(comm, nullptr, "eqrnn train: task and optimisation", "eqrnn");
  OptionReader opt(comm, PetscOptionsObject);
  PetscCall(opt.integer("-T", "Training sequence length", task.T, &task.T));
  PetscCall(opt.realList("-decay", "Decays gamma_c of the leaky integrals (one per channel, or one for all)",
                         &decay));
  PetscCall(opt.realList(
      "-scale", "Scales s_c: y*_c = gamma_c (s_c x_c + y*_c) (one per channel, or one for all)", &scale));
  PetscCall(opt.choice("-optimizer", "Optimiser", {"sgd", "adam"}, optimizer, &optimizer));
  PetscCall(opt.real("-lr", "Learning rate", op.lr, &op.lr));
  PetscCall(opt.real("-adam_beta1", "Adam: decay of the first moment", op.beta1, &op.beta1));
  PetscCall(opt.real("-adam_beta2", "Adam: decay of the second moment", op.beta2, &op.beta2));
  PetscCall(opt.real("-adam_epsilon", "Adam: epsilon", op.epsilon, &op.epsilon));
  PetscCall(opt.integer("-batch", "Sequences per step (a fresh batch every step)", s.batch, &s.batch));
  PetscCall(
      opt.integer("-batch_chunk",
                  "Sequences per chunk, the unit of data parallelism (at most ceil(batch/chunk) ranks work)",
                  s.chunk, &s.chunk));
  PetscCall(opt.integer("-steps", "Optimisation steps", s.steps, &s.steps));
  PetscCall(opt.integer("-seed", "Seed of encoders, decoders, initial W and training batches", seed, &seed));
  PetscCall(opt.choice("-precision", "Products in double or single precision (sums and weights stay double)",
                       {"double", "single"}, precision, &precision));
  PetscCall(opt.flag("-keep_best", "Keep the network with the lowest training loss (else the last one)",
                     s.keepBest, &s.keepBest));
  PetscCall(opt.real("-divergence_factor",
                     "Stop when the loss exceeds this times the first loss (0: NaN/Inf only)",
                     s.divergenceFactor, &s.divergenceFactor));
  PetscCall(opt.integer("-blas_threads", "OpenBLAS threads per MPI rank", config->blasThreads,
                        &config->blasThreads));
  PetscOptionsEnd();

  AnalysisSpec &a = config->analysis;
  PetscOptionsBegin(comm, nullptr, "eqrnn train: test set and analysis", "eqrnn");
  OptionReader opt(comm, PetscOptionsObject);
  PetscCall(opt.flag("-analysis",
                     "Analyse the trained network (test error, spectrum, manifold, PCA, selectivity)",
                     config->analyse, &config->analyse));
  PetscCall(opt.integer("-test_samples", "Test sequences", task.testSamples, &task.testSamples));
  PetscCall(opt.integer("-test_length", "Length of the test sequences", task.testLength, &task.testLength));
  PetscCall(opt.real("-test_burst_probability", "Test inputs: probability that a burst starts at a step",
                     task.burstProbability, &task.burstProbability));
  PetscCall(opt.integer("-test_burst_length", "Test inputs: longest burst (steps)", task.burstLength,
                        &task.burstLength));
  PetscCall(opt.integer("-test_seed", "Seed of the test sequences", testSeed, &testSeed));
  PetscCall(opt.integer("-test_chunk", "Test sequences per chunk (the unit of data parallelism)", a.testChunk,
                        &a.testChunk));
  PetscCall(opt.integer("-save_test_sequences", "Test sequences written whole (inputs, targets, outputs, h)",
                        a.saveSequences, &a.saveSequences));
  PetscOptionsEnd();

  FixedPointSpec &fp = config->fixedPoints;
  PetscOptionsBegin(comm, nullptr, "eqrnn train: fixed points of the trained network (no input)", "eqrnn");
  OptionReader opt(comm, PetscOptionsObject);
  PetscCall(
      opt.integer("-fixed_point_starts",
                  "Newton starts: h = 0 and states of the test sequences (0: none; solvers: -trained_snes_*, "
                  "-trained_ksp_*, -trained_eps_*)",
                  fp.starts, &fp.starts));
  PetscCall(opt.real("-fixed_point_tol", "Fixed point when |F(h)| <= tol max(1, |h|)", fp.tol, &fp.tol));
  PetscCall(opt.real("-fixed_point_same_tol",
                     "Two fixed points are one when |h - h'| <= tol max(1, |h|, |h'|)", fp.sameTol,
                     &fp.sameTol));
  PetscCall(opt.real("-fixed_point_marginal_tol", "Marginal eigenvalue of the map: |mu - 1| < tol",
                     fp.marginalTol, &fp.marginalTol));
  PetscCall(opt.real("-fixed_point_unstable_tol", "Unstable eigenvalue of the map: |mu| > 1 + tol",
                     fp.unstableTol, &fp.unstableTol));
  PetscCall(
      opt.integer("-slow_points",
                  "Test states where the speed |G(h) - h|/|h| and the spectrum of the map's Jacobian are "
                  "measured (-1: the census' nonzero starts; 0: none)",
                  fp.slowPoints, &fp.slowPoints));
  PetscCall(opt.real("-slow_point_tol", "Slow points: an eigenvalue is near 1 when |mu - 1| < tol",
                     fp.slowTol, &fp.slowTol));
  PetscOptionsEnd();

  PetscOptionsBegin(comm, nullptr, "eqrnn train: output and checkpoints", "eqrnn");
  OptionReader opt(comm, PetscOptionsObject);
  PetscCall(opt.string("-output", "Output HDF5 file", config->output, &config->output));
  PetscCall(opt.integer("-checkpoint_interval", "Steps between checkpoints (0: none)",
                        config->checkpointInterval, &config->checkpointInterval));
  PetscCall(opt.real("-checkpoint_walltime", "Wall seconds between checkpoints (0: none)",
                     config->checkpointWalltime, &config->checkpointWalltime));
  PetscCall(readResumeOptions(opt, &config->restart, &config->stopAfterCheckpoints));
  PetscCall(opt.real("-progress_interval", "Wall seconds between progress lines (0: none)",
                     config->progressInterval, &config->progressInterval));
  PetscCall(opt.flag("-quiet", "No progress lines", false, &quiet));
  PetscOptionsEnd();

  // Validation: every error names the option.
  parseForm(form, &m.form);
  parseActivation(phi, &m.phi);
  op.kind           = optimizer == "sgd" ? OptimizerKind::Sgd : OptimizerKind::Adam;
  s.singlePrecision = precision == "single";
  if (quiet) config->progressInterval = 0;
  PetscCheck(m.n >= 1 && m.n <= 46340, comm, PETSC_ERR_USER_INPUT,
             "-n must be in [1, 46340] (got %" PetscInt_FMT ")", m.n);
  PetscCheck(m.D >= 1 && m.D <= m.n, comm, PETSC_ERR_USER_INPUT,
             "-D must be in [1, n] (got %" PetscInt_FMT " with n = %" PetscInt_FMT ")", m.D, m.n);
  PetscCheck(task.T >= 1, comm, PETSC_ERR_USER_INPUT, "-T must be >= 1 (got %" PetscInt_FMT ")", task.T);
  PetscCheck(m.slope > 0, comm, PETSC_ERR_USER_INPUT, "-slope must be > 0 (got %g)", m.slope);
  PetscCheck(m.reluDerivativeAtZero >= 0 && m.reluDerivativeAtZero <= 1, comm, PETSC_ERR_USER_INPUT,
             "-relu_derivative_at_zero must be in [0, 1] (got %g)", m.reluDerivativeAtZero);
  PetscCheck(m.initRadius >= 0, comm, PETSC_ERR_USER_INPUT, "-init_radius must be >= 0 (got %g)",
             m.initRadius);
  PetscCheck(m.daleFraction >= 0 && m.daleFraction < 1, comm, PETSC_ERR_USER_INPUT,
             "-dale_inhibitory_fraction must be in [0, 1) (got %g)", m.daleFraction);
  PetscCall(perChannel(comm, "-decay", m.D, &decay));
  PetscCall(perChannel(comm, "-scale", m.D, &scale));
  for (double g : decay)
    PetscCheck(g > 0 && g <= 1, comm, PETSC_ERR_USER_INPUT, "-decay: %g is not in (0, 1]", g);
  for (double x : scale)
    PetscCheck(x > 0, comm, PETSC_ERR_USER_INPUT, "-scale: %g is not > 0", x);
  task.decay = decay;
  task.scale = scale;
  PetscCheck(op.lr > 0, comm, PETSC_ERR_USER_INPUT, "-lr must be > 0 (got %g)", op.lr);
  PetscCheck(op.beta1 >= 0 && op.beta1 < 1 && op.beta2 >= 0 && op.beta2 < 1, comm, PETSC_ERR_USER_INPUT,
             "-adam_beta1 and -adam_beta2 must be in [0, 1) (got %g, %g)", op.beta1, op.beta2);
  PetscCheck(op.epsilon > 0, comm, PETSC_ERR_USER_INPUT, "-adam_epsilon must be > 0 (got %g)", op.epsilon);
  PetscCheck(s.batch >= 1, comm, PETSC_ERR_USER_INPUT, "-batch must be >= 1 (got %" PetscInt_FMT ")",
             s.batch);
  PetscCheck(s.chunk >= 1, comm, PETSC_ERR_USER_INPUT, "-batch_chunk must be >= 1 (got %" PetscInt_FMT ")",
             s.chunk);
  // 0 steps has no loss to report, and a checkpoint is at step >= 1, so no resumed run needs it either.
  PetscCheck(s.steps >= 1, comm, PETSC_ERR_USER_INPUT, "-steps must be >= 1 (got %" PetscInt_FMT ")",
             s.steps);
  PetscCheck(seed >= 0, comm, PETSC_ERR_USER_INPUT, "-seed must be >= 0 (got %" PetscInt_FMT ")", seed);
  PetscCheck(testSeed >= 0, comm, PETSC_ERR_USER_INPUT, "-test_seed must be >= 0 (got %" PetscInt_FMT ")",
             testSeed);
  s.seed     = static_cast<std::uint64_t>(seed);
  a.testSeed = static_cast<std::uint64_t>(testSeed);
  PetscCheck(s.divergenceFactor >= 0, comm, PETSC_ERR_USER_INPUT, "-divergence_factor must be >= 0 (got %g)",
             s.divergenceFactor);
  PetscCheck(config->blasThreads >= 1, comm, PETSC_ERR_USER_INPUT, "-blas_threads must be >= 1");
  PetscCheck(task.testSamples >= 1 && task.testLength >= 1 && task.burstLength >= 1 && a.testChunk >= 1 &&
                 a.saveSequences >= 0,
             comm, PETSC_ERR_USER_INPUT,
             "-test_samples, -test_length, -test_burst_length and -test_chunk must be >= 1, "
             "-save_test_sequences >= 0");
  PetscCheck(task.burstProbability >= 0 && task.burstProbability <= 1, comm, PETSC_ERR_USER_INPUT,
             "-test_burst_probability must be in [0, 1] (got %g)", task.burstProbability);
  PetscCheck(
      config->checkpointInterval >= 0 && config->checkpointWalltime >= 0 &&
          config->stopAfterCheckpoints >= 0 && config->progressInterval >= 0,
      comm, PETSC_ERR_USER_INPUT,
      "-checkpoint_interval, -checkpoint_walltime, -stop_after_checkpoints and -progress_interval must "
      "be >= 0");
  PetscCheck(!config->output.empty(), comm, PETSC_ERR_USER_INPUT, "-output is empty");
  PetscCheck(fp.starts >= 0, comm, PETSC_ERR_USER_INPUT,
             "-fixed_point_starts must be >= 0 (got %" PetscInt_FMT ")", fp.starts);
  PetscCheck(fp.tol > 0 && fp.sameTol >= 0 && fp.marginalTol >= 0 && fp.unstableTol >= 0, comm,
             PETSC_ERR_USER_INPUT,
             "-fixed_point_tol must be > 0, -fixed_point_same_tol, -fixed_point_marginal_tol and "
             "-fixed_point_unstable_tol >= 0");
  PetscCheck(fp.slowPoints >= -1, comm, PETSC_ERR_USER_INPUT,
             "-slow_points must be >= -1 (got %" PetscInt_FMT ")", fp.slowPoints);
  PetscCheck(fp.slowTol > 0, comm, PETSC_ERR_USER_INPUT, "-slow_point_tol must be > 0 (got %g)", fp.slowTol);
  if (config->analyse && (fp.starts > 0 || slowPointCount(fp) > 0))
    PetscCall(readFixedPointSolverOptions(comm, m, fp));
  PetscFunctionReturn(0);
}

std::vector<Attribute> parameterAttributes(const TrainConfig &c) {
  const TrainSpec &s = c.spec;
  const ModelSpec &m = s.model;
  return {{"command", std::string("train")},
          {"n", static_cast<long long>(m.n)},
          {"D", static_cast<long long>(m.D)},
          {"form", formName(m.form)},
          {"phi", activationName(m.phi)},
          {"slope", m.slope},
          {"threshold", m.threshold},
          {"relu_derivative_at_zero", m.reluDerivativeAtZero},
          {"init_radius", m.initRadius},
          {"bias", m.bias},
          {"dale_inhibitory_fraction", m.daleFraction},
          {"train_encoders", static_cast<long long>(m.trainEncoders)},
          {"train_decoders", static_cast<long long>(m.trainDecoders)},
          {"train_bias", static_cast<long long>(m.trainBias)},
          {"T", static_cast<long long>(s.task.T)},
          {"decay", s.task.decay},
          {"scale", s.task.scale},
          {"optimizer", optimizerName(s.optimizer.kind)},
          {"lr", s.optimizer.lr},
          {"adam_beta1", s.optimizer.beta1},
          {"adam_beta2", s.optimizer.beta2},
          {"adam_epsilon", s.optimizer.epsilon},
          {"batch", static_cast<long long>(s.batch)},
          {"batch_chunk", static_cast<long long>(s.chunk)},
          {"steps", static_cast<long long>(s.steps)},
          {"seed", static_cast<long long>(s.seed)},
          {"precision", std::string(s.singlePrecision ? "single" : "double")},
          {"keep_best", static_cast<long long>(s.keepBest)},
          {"divergence_factor", s.divergenceFactor},
          {"test_samples", static_cast<long long>(s.task.testSamples)},
          {"test_length", static_cast<long long>(s.task.testLength)},
          {"test_burst_probability", s.task.burstProbability},
          {"test_burst_length", static_cast<long long>(s.task.burstLength)},
          {"test_seed", static_cast<long long>(c.analysis.testSeed)},
          {"test_chunk", static_cast<long long>(c.analysis.testChunk)},
          {"fixed_point_starts", static_cast<long long>(c.fixedPoints.starts)},
          {"fixed_point_tol", c.fixedPoints.tol},
          {"fixed_point_same_tol", c.fixedPoints.sameTol},
          {"fixed_point_marginal_tol", c.fixedPoints.marginalTol},
          {"fixed_point_unstable_tol", c.fixedPoints.unstableTol},
          {"slow_points", static_cast<long long>(c.fixedPoints.slowPoints)},
          {"slow_point_tol", c.fixedPoints.slowTol},
          {"blas_threads", static_cast<long long>(c.blasThreads)},
          {"output", c.output},
          {"checkpoint_interval", static_cast<long long>(c.checkpointInterval)},
          {"checkpoint_walltime", c.checkpointWalltime},
          {"identity", trainingIdentity(s)}};
}

namespace {
// /analysis/fixed_points: one group fp_<i> per distinct fixed point (a stable interface, see
// README-train.md).
PetscErrorCode writeFixedPoints(Hdf5File &file, const TrainedFixedPoints &fps) {
  const std::string root = "/analysis/fixed_points";
  PetscFunctionBeginUser;
  PetscCall(file.ensureGroup(root));
  for (std::size_t i = 0; i < fps.points.size(); ++i) {
    const TrainedFixedPoint &fp = fps.points[i];
    const std::string path      = root + "/fp_" + std::to_string(i);
    PetscCall(writeArray(file, path + "/h", {fp.h.size()}, fp.h.data()));
    PetscCall(file.writeAttributes(path, {{"residual", fp.residual},
                                          {"readout", fp.readout},
                                          {"eigenvalues_real", fp.re},
                                          {"eigenvalues_imag", fp.im},
                                          {"spectrum_converged", static_cast<long long>(fp.spectrum)},
                                          {"n_unstable", static_cast<long long>(fp.nUnstable)},
                                          {"n_marginal", static_cast<long long>(fp.nMarginal)},
                                          {"n_at_kink", static_cast<long long>(fp.atKink)},
                                          {"start", static_cast<long long>(fp.start)}}));
  }
  PetscCall(file.writeAttributes(root, {{"count", static_cast<long long>(fps.points.size())},
                                        {"starts", static_cast<long long>(fps.starts)},
                                        {"failed_starts", static_cast<long long>(fps.failed)},
                                        {"wall_seconds", fps.wallSeconds}}));
  PetscFunctionReturn(0);
}

// One line: how many fixed points, and for the first few their readout and leading eigenvalues.
PetscErrorCode printFixedPoints(MPI_Comm comm, const TrainedFixedPoints &fps) {
  constexpr std::size_t kShown = 3, kEigenvalues = 3;
  std::ostringstream line;
  PetscFunctionBeginUser;
  line.precision(4);
  line << "eqrnn: fixed points without input: " << fps.points.size() << " from " << fps.starts << " starts ("
       << fps.failed << " failed) in " << fps.wallSeconds << " s";
  for (std::size_t i = 0; i < std::min(kShown, fps.points.size()); ++i) {
    const TrainedFixedPoint &fp = fps.points[i];
    line << "; fp_" << i << ": y = (";
    for (std::size_t c = 0; c < fp.readout.size(); ++c)
      line << (c ? ", " : "") << fp.readout[c];
    line << ")";
    if (fp.atKink > 0) line << ", " << fp.atKink << " neuron(s) at the ReLU kink";
    line << ", mu =";
    for (std::size_t k = 0; k < std::min(kEigenvalues, fp.re.size()); ++k) {
      line << (k ? ", " : " ") << fp.re[k];
      if (fp.im[k] != 0) line << (fp.im[k] > 0 ? "+" : "") << fp.im[k] << "i";
    }
    if (!fp.spectrum) line << " (eigensolver failed)";
    line << ", " << fp.nMarginal << " marginal, " << fp.nUnstable << " unstable";
  }
  if (fps.points.size() > kShown) line << "; ... (all in /analysis/fixed_points)";
  PetscCall(PetscPrintf(comm, "%s\n", line.str().c_str()));
  PetscFunctionReturn(0);
}

// The digest of the slow points, for the line printed and the attributes of /analysis/slow_points.
struct SlowPointDigest {
  double medianSpeed = NAN, maxSpeed = NAN; // of q = |G(h) - h| / |h|
  long long withD = 0;                      // points with exactly D eigenvalues near 1
  double nearLow = NAN, nearHigh = NAN;     // the range of |mu| near 1, over all points
  double largestOther = NAN;                // the largest |mu| not near 1, over all points
};

SlowPointDigest digest(const SlowPoints &sps, PetscInt D, double tol) {
  SlowPointDigest d;
  std::vector<double> speeds;
  auto widen = [](double *x, double v, bool up) {
    if (std::isnan(*x) || (up ? v > *x : v < *x)) *x = v;
  };
  for (const SlowPoint &sp : sps.points) {
    speeds.push_back(sp.speed);
    d.withD += sp.nearOne == D;
    for (std::size_t k = 0; k < sp.re.size(); ++k) {
      const double mod = std::hypot(sp.re[k], sp.im[k]);
      if (std::hypot(sp.re[k] - 1, sp.im[k]) < tol) {
        widen(&d.nearLow, mod, false);
        widen(&d.nearHigh, mod, true);
      }
    }
    const double other = largestOtherModulus(sp, tol);
    if (!std::isnan(other)) widen(&d.largestOther, other, true);
  }
  if (speeds.empty()) return d;
  std::sort(speeds.begin(), speeds.end());
  const std::size_t mid = speeds.size() / 2;
  d.medianSpeed         = speeds.size() % 2 ? speeds[mid] : 0.5 * (speeds[mid - 1] + speeds[mid]);
  d.maxSpeed            = speeds.back();
  return d;
}

// /analysis/slow_points: one row per state (a stable interface, see README-train.md). The eigenvalue rows
// are as wide as the longest spectrum (nev, or nev + 1 when a complex pair was kept whole), NaN-padded.
PetscErrorCode writeSlowPoints(Hdf5File &file, const SlowPoints &sps, PetscInt n, PetscInt D, double tol) {
  const std::string root = "/analysis/slow_points";
  const std::size_t K = sps.points.size(), hn = static_cast<std::size_t>(n), hD = static_cast<std::size_t>(D);
  std::size_t width = 0;
  for (const SlowPoint &sp : sps.points)
    width = std::max(width, sp.re.size());
  std::vector<double> h, readout, speed, nearOne, atKink, converged;
  std::vector<double> re(K * width, NAN), im(K * width, NAN);
  for (std::size_t k = 0; k < K; ++k) {
    const SlowPoint &sp = sps.points[k];
    h.insert(h.end(), sp.h.begin(), sp.h.end());
    readout.insert(readout.end(), sp.readout.begin(), sp.readout.end());
    speed.push_back(sp.speed);
    nearOne.push_back(static_cast<double>(sp.nearOne));
    atKink.push_back(static_cast<double>(sp.atKink));
    converged.push_back(sp.spectrum ? 1.0 : 0.0);
    std::copy(sp.re.begin(), sp.re.end(), re.begin() + static_cast<std::ptrdiff_t>(k * width));
    std::copy(sp.im.begin(), sp.im.end(), im.begin() + static_cast<std::ptrdiff_t>(k * width));
  }
  const SlowPointDigest d = digest(sps, D, tol);
  PetscFunctionBeginUser;
  PetscCall(file.ensureGroup(root));
  PetscCall(writeArray(file, root + "/h", {K, hn}, h.data()));
  PetscCall(writeArray(file, root + "/speed", {K}, speed.data()));
  PetscCall(writeArray(file, root + "/readout", {K, hD}, readout.data()));
  PetscCall(writeArray(file, root + "/eigenvalues_real", {K, width}, re.data()));
  PetscCall(writeArray(file, root + "/eigenvalues_imag", {K, width}, im.data()));
  PetscCall(writeArray(file, root + "/n_near_one", {K}, nearOne.data()));
  PetscCall(writeArray(file, root + "/n_at_kink", {K}, atKink.data()));
  PetscCall(writeArray(file, root + "/spectrum_converged", {K}, converged.data()));
  PetscCall(file.writeAttributes(root, {{"count", static_cast<long long>(K)},
                                        {"tol", tol},
                                        {"median_speed", d.medianSpeed},
                                        {"max_speed", d.maxSpeed},
                                        {"with_D_near_one", d.withD},
                                        {"near_one_min_modulus", d.nearLow},
                                        {"near_one_max_modulus", d.nearHigh},
                                        {"max_other_modulus", d.largestOther},
                                        {"wall_seconds", sps.wallSeconds}}));
  PetscFunctionReturn(0);
}

// One line: the speeds and how many states have exactly D eigenvalues near 1, the others' largest modulus.
PetscErrorCode printSlowPoints(MPI_Comm comm, const SlowPoints &sps, PetscInt D, double tol) {
  const SlowPointDigest d = digest(sps, D, tol);
  std::ostringstream line;
  PetscFunctionBeginUser;
  line.precision(3);
  line << "eqrnn: slow points (test states, no input): " << sps.points.size();
  if (!sps.points.empty())
    line << ", relative speed |G(h) - h|/|h| median " << d.medianSpeed << " (max " << d.maxSpeed << "); "
         << d.withD << " with exactly D = " << D << " eigenvalues within " << tol << " of 1 (|mu| "
         << d.nearLow << " ... " << d.nearHigh << "), the others |mu| <= " << d.largestOther;
  line << " in " << sps.wallSeconds << " s";
  PetscCall(PetscPrintf(comm, "%s\n", line.str().c_str()));
  PetscFunctionReturn(0);
}

// A solver error (e.g. a -trained_pc_type that cannot take a dense matrix, found only when it is set up)
// costs the slow points or the fixed points, not the trained network: it is reported, *error says why, and
// the output is written without that group.
PetscErrorCode reportSolverError(MPI_Comm comm, PetscErrorCode code, const char *what, std::string *error) {
  int failed = code != 0;
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, comm));
  if (!failed) PetscFunctionReturn(0);
  *error = lastErrorMessage().empty() ? "solver error" : lastErrorMessage();
  clearLastError();
  PetscCall(PetscPrintf(comm, "eqrnn: %s not computed: %s\n", what, error->c_str()));
  PetscFunctionReturn(0);
}

// The slow points: the census' nonzero starts (the same states, measured before Newton moves them) or
// -slow_points K test states chosen the same way.
PetscErrorCode findSlowPoints(MPI_Comm comm, const TrainConfig &config, const Parameters &p,
                              TrainResult *result) {
  const FixedPointSpec &spec = config.fixedPoints;
  std::vector<std::vector<double>> states;
  PetscFunctionBeginUser;
  fixedPointStarts(config.spec, config.analysis, p, result->analysis, slowPointCount(spec) + 1, &states);
  if (!states.empty()) states.erase(states.begin()); // h = 0: no relative speed
  const PetscErrorCode code = slowPoints(comm, config.spec.model, p, states, spec, &result->slowPoints);
  PetscCall(reportSolverError(comm, code, "slow points", &result->slowPointsError));
  if (!result->slowPointsError.empty()) {
    result->slowPoints = SlowPoints();
    PetscFunctionReturn(0);
  }
  result->slowPointsComputed = true;
  PetscCall(printSlowPoints(comm, result->slowPoints, config.spec.model.D, spec.slowTol));
  PetscFunctionReturn(0);
}

// The census after the analysis.
PetscErrorCode findFixedPoints(MPI_Comm comm, const TrainConfig &config, const Parameters &p,
                               TrainResult *result) {
  std::vector<std::vector<double>> starts;
  PetscFunctionBeginUser;
  fixedPointStarts(config.spec, config.analysis, p, result->analysis, config.fixedPoints.starts, &starts);
  const PetscErrorCode code =
      trainedFixedPoints(comm, config.spec.model, p, starts, config.fixedPoints, &result->fixedPoints);
  PetscCall(reportSolverError(comm, code, "fixed points", &result->fixedPointsError));
  if (!result->fixedPointsError.empty()) {
    result->fixedPoints = TrainedFixedPoints();
    PetscFunctionReturn(0);
  }
  PetscCall(printFixedPoints(comm, result->fixedPoints));
  PetscFunctionReturn(0);
}

// The whole output file (a stable interface: see src/training/README-train.md).
PetscErrorCode writeTrainingOutput(MPI_Comm comm, const TrainConfig &config, const Trainer &trainer,
                                   const TrainResult &result, bool analysed, bool diverged) {
  const TrainSpec &s = config.spec;
  const PetscInt n = s.model.n, D = s.model.D;
  const hsize_t hn = static_cast<hsize_t>(n), hD = static_cast<hsize_t>(D);
  const Parameters &p  = trainer.result();
  const TrainState &st = trainer.state();
  std::vector<Attribute> root{{"command", std::string("train")},
                              {"n", static_cast<long long>(n)},
                              {"D", static_cast<long long>(D)},
                              {"blas", std::string(blasDescription())},
                              {"restarts", static_cast<long long>(st.restartSteps.size())}};
  // As simulate's restart_times: present once the run has been resumed.
  if (!st.restartSteps.empty()) root.push_back({"restart_steps", joinSteps(st.restartSteps)});
  Hdf5File file;
  PetscFunctionBeginUser;
  PetscCall(provenanceAttributes(comm, &root));
  PetscCall(createParentDirectory(comm, config.output));
  PetscCall(Hdf5File::create(comm, config.output, &file));
  PetscCall(file.writeAttributes("/", root));
  PetscCall(file.ensureGroup("/parameters"));
  PetscCall(file.writeAttributes("/parameters", parameterAttributes(config)));
  // /training: the loss curve and the network (W as the network uses it, row i = neuron i's inputs).
  std::vector<double> weff, rows(static_cast<std::size_t>(n * n));
  trainer.effective(p.W, &weff);
  auto rowMajor = [&](const std::vector<double> &colMajor) {
    for (PetscInt i = 0; i < n; ++i)
      for (PetscInt j = 0; j < n; ++j)
        rows[static_cast<std::size_t>(i * n + j)] = colMajor[static_cast<std::size_t>(i + j * n)];
    return rows.data();
  };
  PetscCall(writeArray(file, "/training/loss", {static_cast<hsize_t>(st.loss.size())}, st.loss.data()));
  PetscCall(writeArray(file, "/training/W", {hn, hn}, rowMajor(weff)));
  if (!trainer.signs().empty()) {
    PetscCall(writeArray(file, "/training/W_raw", {hn, hn}, rowMajor(p.W)));
    PetscCall(writeArray(file, "/training/dale_signs", {hn}, trainer.signs().data()));
  }
  PetscCall(writeArray(file, "/training/encoders", {hD, hn}, p.E.data()));
  PetscCall(writeArray(file, "/training/decoders", {hD, hn}, p.Dec.data()));
  PetscCall(writeArray(file, "/training/bias", {hn}, p.b.data()));
  PetscCall(file.writeAttributes("/training",
                                 {{"steps", result.steps},
                                  {"first_loss", result.firstLoss},
                                  {"final_loss", result.finalLoss},
                                  {"best_loss", result.bestLoss},
                                  {"best_step", result.bestStep},
                                  {"network", std::string(s.keepBest && st.bestStep >= 0 ? "best" : "last")},
                                  {"diverged", static_cast<long long>(diverged)},
                                  {"seconds_per_step", result.secondsPerStep},
                                  {"wall_seconds", result.wallSeconds},
                                  {"chunks", static_cast<long long>(trainer.chunks())}}));
  if (analysed) {
    const AnalysisResult &r = result.analysis;
    const double residual   = r.manifoldResidual;
    PetscCall(writeArray(file, "/analysis/eigenvalues_real", {r.eigRe.size()}, r.eigRe.data()));
    PetscCall(writeArray(file, "/analysis/eigenvalues_imag", {r.eigIm.size()}, r.eigIm.data()));
    PetscCall(writeArray(file, "/analysis/singular_values", {r.singular.size()}, r.singular.data()));
    PetscCall(writeArray(file, "/analysis/manifold_residual", {}, &residual));
    PetscCall(writeArray(file, "/analysis/test_mse", {r.testMse.size()}, r.testMse.data()));
    PetscCall(writeArray(file, "/analysis/test_relative_error", {r.testRelativeError.size()},
                         r.testRelativeError.data()));
    PetscCall(
        writeArray(file, "/analysis/pca_explained_variance", {r.pcaExplained.size()}, r.pcaExplained.data()));
    if (!r.selectivity.empty()) {
      PetscCall(writeArray(file, "/analysis/selectivity", {hn, hD}, r.selectivity.data()));
      PetscCall(writeArray(file, "/analysis/coordinate_map", {hD, hD}, r.coordinateMap.data()));
    }
    if (!r.selectivityAngles.empty())
      PetscCall(writeArray(file, "/analysis/selectivity_angles", {hn}, r.selectivityAngles.data()));
    PetscCall(writeArray(file, "/analysis/activity_regression", {hn, hD}, r.regression.data()));
    if (!r.neuronClass.empty()) {
      PetscCall(writeArray(file, "/analysis/neuron_class", {hn}, r.neuronClass.data()));
      PetscCall(file.writeAttributes("/analysis/neuron_class",
                                     {{"names", std::string("0 silent, 1 positive, 2 negative, 3 shared")},
                                      {"silent", r.classCounts[kSilent]},
                                      {"positive", r.classCounts[kPositive]},
                                      {"negative", r.classCounts[kNegative]},
                                      {"shared", r.classCounts[kShared]}}));
    }
    if (r.saved > 0) {
      const hsize_t k = static_cast<hsize_t>(r.saved), L = static_cast<hsize_t>(r.length);
      PetscCall(writeArray(file, "/analysis/test_sequences/inputs", {k, L, hD}, r.savedInput.data()));
      PetscCall(writeArray(file, "/analysis/test_sequences/targets", {k, L, hD}, r.savedTarget.data()));
      PetscCall(writeArray(file, "/analysis/test_sequences/outputs", {k, L, hD}, r.savedOutput.data()));
      PetscCall(writeArray(file, "/analysis/test_sequences/hidden", {k, L, hn}, r.savedHidden.data()));
    }
    if (config.fixedPoints.starts > 0 && result.fixedPointsError.empty())
      PetscCall(writeFixedPoints(file, result.fixedPoints));
    if (result.slowPointsComputed)
      PetscCall(writeSlowPoints(file, result.slowPoints, n, D, config.fixedPoints.slowTol));
    PetscCall(
        file.writeAttributes("/analysis", {{"test_samples", static_cast<long long>(s.task.testSamples)},
                                           {"test_length", static_cast<long long>(s.task.testLength)},
                                           {"test_seed", static_cast<long long>(config.analysis.testSeed)},
                                           {"manifold_dimension", static_cast<long long>(D)}}));
  }
  char stamp[32] = {0};
  std::snprintf(stamp, sizeof(stamp), "%s", isoTimeNow().c_str());
  PetscCallMPI(MPI_Bcast(stamp, sizeof(stamp), MPI_CHAR, 0, comm));
  PetscCall(file.writeAttributes("/", {{"finished", std::string(stamp)}}));
  PetscCall(file.close());
  PetscFunctionReturn(0);
}
} // namespace

PetscErrorCode runTrain(MPI_Comm comm, const TrainConfig &config, TrainResult *result) {
  std::unique_ptr<Trainer> trainer;
  PetscMPIInt size = 1;
  PetscFunctionBeginUser;
  PetscCall(checkNoUnusedOptions(comm));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  setBlasThreads(static_cast<int>(config.blasThreads));
  const TrainSpec &spec = config.spec;
  *result               = TrainResult();
  PetscCall(Trainer::create(comm, spec, &trainer));
  if (trainer->chunks() < size)
    PetscCall(PetscPrintf(comm,
                          "eqrnn: note: %d ranks but only %lld chunks of the batch: %lld rank(s) idle "
                          "(lower -batch_chunk)\n",
                          size, trainer->chunks(), static_cast<long long>(size) - trainer->chunks()));
  // Resume or start.
  bool resumed = false;
  if (!config.restart.empty()) {
    std::string chosen;
    std::vector<std::string> notes;
    if (config.restart == "auto") {
      PetscCall(
          findTrainingCheckpoint(comm, config.output, spec, &trainer->state(), &resumed, &chosen, &notes));
    } else {
      std::string reason;
      PetscCall(readTrainingCheckpoint(comm, config.restart, spec, &trainer->state(), &resumed, &reason));
      PetscCheck(resumed, comm, PETSC_ERR_FILE_READ, "-restart: %s", reason.c_str());
      chosen = config.restart;
    }
    for (const auto &note : notes)
      PetscCall(PetscPrintf(comm, "eqrnn: checkpoint skipped: %s\n", note.c_str()));
    if (resumed) {
      trainer->state().restartSteps.push_back(trainer->state().step); // carried by later checkpoints
      PetscCall(PetscPrintf(comm, "eqrnn: resuming training from %s at step %lld\n", chosen.c_str(),
                            trainer->state().step));
    } else {
      PetscCall(PetscPrintf(comm, "eqrnn: no valid checkpoint next to %s: starting at step 0\n",
                            config.output.c_str()));
    }
  }
  if (!resumed) PetscCall(trainer->initialise());
  TrainState &st = trainer->state();
  // Training: checkpoints every -checkpoint_interval steps, after -checkpoint_walltime seconds and on
  // SIGUSR1/SIGTERM (then the run stops), decided collectively.
  PreemptionSignals signals;
  const long long startStep = st.step;
  const double t0           = MPI_Wtime();
  double lastCheckpoint = t0, lastProgress = t0;
  bool diverged   = false;
  auto checkpoint = [&]() -> PetscErrorCode {
    PetscFunctionBeginUser;
    PetscCall(writeTrainingCheckpoint(comm, config.output, spec, st));
    lastCheckpoint = MPI_Wtime();
    ++result->checkpoints;
    PetscFunctionReturn(0);
  };
  while (st.step < spec.steps) {
    PetscCall(trainer->step(&diverged));
    if (diverged) break;
    int flags[2] = {PreemptionSignals::raised(),
                    config.checkpointWalltime > 0 &&
                        MPI_Wtime() - lastCheckpoint >= config.checkpointWalltime};
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, flags, 2, MPI_INT, MPI_MAX, comm));
    const bool due =
        flags[0] || flags[1] || (config.checkpointInterval > 0 && st.step % config.checkpointInterval == 0);
    if (due && st.step < spec.steps) {
      PetscCall(checkpoint());
      if (flags[0])
        PetscCall(PetscPrintf(comm, "eqrnn: signal %d: checkpoint at step %lld written, stopping\n", flags[0],
                              st.step));
      if (flags[0] ||
          (config.stopAfterCheckpoints > 0 && result->checkpoints >= config.stopAfterCheckpoints)) {
        result->stoppedEarly = true;
        break;
      }
    }
    const double now = MPI_Wtime();
    if (config.progressInterval > 0 && now - lastProgress >= config.progressInterval) {
      const double perStep = (now - t0) / static_cast<double>(st.step - startStep);
      PetscCall(PetscPrintf(comm,
                            "eqrnn: step %lld/%lld: loss %.4e (best %.4e at step %lld), %.3g s/step, %.0f s "
                            "left\n",
                            st.step, static_cast<long long>(spec.steps), st.loss.back(), st.bestLoss,
                            st.bestStep, perStep, perStep * static_cast<double>(spec.steps - st.step)));
      lastProgress = now;
    }
  }
  result->wallSeconds    = MPI_Wtime() - t0;
  const long long done   = st.step - startStep;
  result->secondsPerStep = done > 0 ? result->wallSeconds / static_cast<double>(done) : 0.0;
  result->steps          = st.step;
  result->stepsThisRun   = done;
  result->firstLoss      = st.loss.empty() ? 0.0 : st.loss.front();
  result->finalLoss      = st.loss.empty() ? 0.0 : st.loss.back();
  result->bestLoss       = st.bestLoss;
  result->bestStep       = st.bestStep;
  if (result->stoppedEarly) PetscFunctionReturn(0);
  // A checkpoint of the finished run, so that it can be continued with more -steps.
  if (!diverged &&
      (config.checkpointInterval > 0 || config.checkpointWalltime > 0 || !config.restart.empty()) && done > 0)
    PetscCall(checkpoint());
  const bool analyse = config.analyse && !diverged;
  if (analyse) PetscCall(analyseNetwork(comm, spec, config.analysis, trainer->result(), &result->analysis));
  // The slow points (by default the census' nonzero starts, as given), then the census (Newton from them).
  if (analyse && slowPointCount(config.fixedPoints) > 0)
    PetscCall(findSlowPoints(comm, config, trainer->result(), result));
  if (analyse && config.fixedPoints.starts > 0)
    PetscCall(findFixedPoints(comm, config, trainer->result(), result));
  PetscCall(writeTrainingOutput(comm, config, *trainer, *result, analyse, diverged));
  PetscCheck(
      !diverged, comm, PETSC_ERR_NOT_CONVERGED,
      "training diverged at step %lld: loss %g (first loss %g, limit %g times it); the best network (step "
      "%lld, loss %g) and the loss curve are in %s; try a smaller -lr",
      st.step, st.loss.back(), st.loss.front(), spec.divergenceFactor, st.bestStep, st.bestLoss,
      config.output.c_str());
  PetscFunctionReturn(0);
}

} // namespace eqrnn
