// eqrnn train: a recurrent network trained to integrate D signals at once (docs/mathematics.md, trained
// integrators), data-parallel over MPI, with checkpoints, and the analysis of the trained network.
#include "app/command.hpp"
#include "app/commands.hpp"
#include "core/collective.hpp"
#include "core/session.hpp"
#include "io/simulation_output.hpp"
#include "training/linalg.hpp"
#include "training/training_io.hpp"
#include <algorithm>
#include <cmath>
#include <sstream>

namespace eqrnn {

using namespace training;

void declareParameters(ParameterSet &p, TrainConfig &c) {
  TrainSpec &s       = c.spec;
  ModelSpec &m       = s.model;
  TaskSpec &task     = s.task;
  OptimizerSpec &op  = s.optimizer;
  AnalysisSpec &a    = c.analysis;
  FixedPointSpec &fp = c.fixedPoints;
  if (task.decay.empty()) task.decay = {0.995};
  if (task.scale.empty()) task.scale = {1.0};
  // Declared in the order of the identity string, so that checkpoints of earlier versions stay valid.
  p.section("model");
  p.integer("n", &m.n, "Neurons").atLeast(1).atMost(46340).identity();
  p.integer("D", &m.D, "Channels (signals integrated at once), at most n").atLeast(1).identity();
  p.choice("form", &m.form, {{"authors", ModelForm::Authors}, {"common", ModelForm::Common}},
           "authors: h = phi(W (h + E x)) + b; common: h = phi(W h + E x + b)")
      .identity();
  p.choice("phi", &m.phi, transferNames(), "Transfer function phi(a) = f(slope (a - threshold))").identity();
  p.real("slope", &m.slope, "Slope of phi").above(0).identity();
  p.real("threshold", &m.threshold, "Threshold of phi").identity();
  p.real("relu_derivative_at_zero", &m.reluDerivativeAtZero,
         "ReLU: phi'(threshold) / slope, a subgradient (1: networks started at W = 0 learn)")
      .atLeast(0)
      .atMost(1)
      .identity();
  p.real("init_radius", &m.initRadius,
         "Initial W: 0 = null initialisation, else N(0, 1/n) with this spectral radius")
      .atLeast(0)
      .identity();
  p.real("dale_inhibitory_fraction", &m.daleFraction,
         "Dale's law: fraction of inhibitory neurons, W used = |W| diag(+-1) (0: no Dale's law)")
      .atLeast(0)
      .below(1)
      .identity();
  p.flag("train_encoders", &m.trainEncoders, "Also train the encoders e_c").identity();
  p.flag("train_decoders", &m.trainDecoders, "Also train the decoders d_c").identity();
  p.flag("train_bias", &m.trainBias, "Also train the bias b").identity();
  p.real("bias", &m.bias, "Initial value of every b_i").identity();
  p.section("task and optimisation");
  p.integer("T", &task.T, "Training sequence length").atLeast(1).identity();
  p.reals("decay", &task.decay, "Decays gamma_c of the leaky integrals (one per channel, or one for all)")
      .above(0)
      .atMost(1)
      .identity();
  p.reals("scale", &task.scale,
          "Scales s_c: y*_c = gamma_c (s_c x_c + y*_c) (one per channel, or one for all)")
      .above(0)
      .identity();
  p.choice("optimizer", &op.kind, {{"sgd", OptimizerKind::Sgd}, {"adam", OptimizerKind::Adam}}, "Optimiser")
      .identity();
  p.real("lr", &op.lr, "Learning rate").above(0).identity();
  p.real("adam_beta1", &op.beta1, "Adam: decay of the first moment").atLeast(0).below(1).identity();
  p.real("adam_beta2", &op.beta2, "Adam: decay of the second moment").atLeast(0).below(1).identity();
  p.real("adam_epsilon", &op.epsilon, "Adam: epsilon").above(0).identity();
  p.integer("batch", &s.batch, "Sequences per step (a fresh batch every step)").atLeast(1).identity();
  p.integer("batch_chunk", &s.chunk,
            "Sequences per chunk, the unit of data parallelism (at most ceil(batch/chunk) ranks work)")
      .atLeast(1)
      .identity();
  p.integer("steps", &s.steps, "Optimisation steps (may grow when a run is resumed)").atLeast(1);
  p.integer("seed", &s.seed, "Seed of encoders, decoders, initial W and training batches").identity();
  p.choice("precision", &s.singlePrecision, {{"double", false}, {"single", true}},
           "Products in double or single precision (sums and weights stay double)")
      .identity();
  p.flag("keep_best", &s.keepBest, "Keep the network with the lowest training loss (else the last one)")
      .identity();
  p.real("divergence_factor", &s.divergenceFactor,
         "Stop when the loss exceeds this times the first loss (0: NaN/Inf only)")
      .atLeast(0);
  p.integer("blas_threads", &c.blasThreads, "OpenBLAS threads per MPI rank").atLeast(1);
  p.section("test set and analysis");
  p.flag("analysis", &c.analyse,
         "Analyse the trained network (test error, spectrum, manifold, PCA, selectivity)");
  p.integer("test_samples", &task.testSamples, "Test sequences").atLeast(1);
  p.integer("test_length", &task.testLength, "Length of the test sequences").atLeast(1);
  p.real("test_burst_probability", &task.burstProbability,
         "Test inputs: probability that a burst starts at a step")
      .atLeast(0)
      .atMost(1);
  p.integer("test_burst_length", &task.burstLength, "Test inputs: longest burst (steps)").atLeast(1);
  p.integer("test_seed", &a.testSeed, "Seed of the test sequences");
  p.integer("test_chunk", &a.testChunk, "Test sequences per chunk (the unit of data parallelism)").atLeast(1);
  p.integer("save_test_sequences", &a.saveSequences,
            "Test sequences written whole (inputs, targets, outputs, h)")
      .atLeast(0);
  p.section("fixed and slow points of the trained network (solvers: -trained_snes_*, -trained_ksp_*, "
            "-trained_eps_*)");
  p.integer("fixed_point_starts", &fp.starts,
            "Newton starts: h = 0 and states of the test sequences (0: none)")
      .atLeast(0);
  p.real("fixed_point_tol", &fp.tol, "Fixed point when |F(h)| <= tol max(1, |h|)").above(0);
  p.real("fixed_point_same_tol", &fp.sameTol,
         "Two fixed points are one when |h - h'| <= tol max(1, |h|, |h'|)")
      .atLeast(0);
  p.real("fixed_point_marginal_tol", &fp.marginalTol, "Marginal eigenvalue of the map: |mu - 1| < tol")
      .atLeast(0);
  p.real("fixed_point_unstable_tol", &fp.unstableTol, "Unstable eigenvalue of the map: |mu| > 1 + tol")
      .atLeast(0);
  p.integer("slow_points", &fp.slowPoints,
            "Test states where the speed |G(h) - h|/|h| and the map's spectrum are measured (-1: the census' "
            "nonzero starts; 0: none)")
      .atLeast(-1);
  p.real("slow_point_tol", &fp.slowTol, "Slow points: an eigenvalue is near 1 when |mu - 1| < tol").above(0);
  p.section("output and checkpoints");
  p.text("output", &c.output, "Output HDF5 file (its folder is created)");
  p.integer("checkpoint_interval", &c.checkpointInterval, "Steps between checkpoints (0: none)").atLeast(0);
  declareResume(p, c.resume);
  p.real("progress_interval", &c.progressInterval, "Wall seconds between progress lines (0: none)")
      .atLeast(0);
  p.flag("quiet", &c.quiet, "No progress lines");
}

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

PetscErrorCode validate(MPI_Comm comm, TrainConfig &c) {
  ModelSpec &m = c.spec.model;
  PetscFunctionBeginUser;
  PetscCheck(m.D <= m.n, comm, PETSC_ERR_USER_INPUT,
             "-D must be in [1, n] (got %" PetscInt_FMT " with n = %" PetscInt_FMT ")", m.D, m.n);
  PetscCall(perChannel(comm, "-decay", m.D, &c.spec.task.decay));
  PetscCall(perChannel(comm, "-scale", m.D, &c.spec.task.scale));
  PetscCheck(!c.output.empty(), comm, PETSC_ERR_USER_INPUT, "-output is empty");
  if (c.quiet) c.progressInterval = 0;
  // The solvers of the fixed and slow points read -trained_* now, so a typo is found before training.
  if (c.analyse && (c.fixedPoints.starts > 0 || slowPointCount(c.fixedPoints) > 0))
    PetscCall(readFixedPointSolverOptions(comm, m, c.fixedPoints));
  PetscFunctionReturn(0);
}

namespace {
// /analysis/fixed_points: one group fp_<i> per distinct fixed point (a stable interface, docs/formats.md).
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

// /analysis/slow_points: one row per state (a stable interface, docs/formats.md). The eigenvalue rows
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

// The whole output file (a stable interface: docs/formats.md).
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
  std::vector<Attribute> parameters = parameterAttributes(config);
  parameters.insert(parameters.begin(), {"command", std::string("train")});
  parameters.push_back({"identity", parameterIdentity(config)});
  PetscCall(file.writeAttributes("/parameters", parameters));
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
  PetscCall(file.writeAttributes("/", {{"finished", isoTimeNow()}})); // rank 0's clock (writeAttributes)
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
  CheckpointIdentity id;
  id.kind       = CheckpointKind::Training;
  id.neurons    = spec.model.n;
  id.channels   = spec.model.D;
  id.parameters = parameterIdentity(config);
  ResumableRun run(comm, config.output, config.resume, id);
  bool resumed = false;
  PetscCall(resumeTraining(run, spec, &trainer->state(), &resumed));
  if (resumed) {
    trainer->state().restartSteps.push_back(trainer->state().step); // carried by later checkpoints
    PetscCall(PetscPrintf(comm, "eqrnn: resuming training from %s at step %lld\n", run.chosen().c_str(),
                          trainer->state().step));
  } else if (!config.resume.restart.empty()) {
    PetscCall(PetscPrintf(comm, "eqrnn: no valid checkpoint next to %s: starting at step 0\n",
                          config.output.c_str()));
  }
  if (!resumed) PetscCall(trainer->initialise());
  TrainState &st = trainer->state();
  // Training: checkpoints every -checkpoint_interval steps, after -checkpoint_walltime seconds and on
  // SIGUSR1/SIGTERM (then the run stops), decided collectively.
  const long long startStep = st.step;
  const double t0           = MPI_Wtime();
  double lastProgress       = t0;
  bool diverged             = false;
  while (st.step < spec.steps) {
    bool write = false;
    PetscCall(trainer->step(&diverged));
    if (diverged) break;
    PetscCall(run.due(config.checkpointInterval > 0 && st.step % config.checkpointInterval == 0, &write));
    if (write && st.step < spec.steps) {
      PetscCall(writeTrainingCheckpoint(run, spec, st));
      if (run.signal())
        PetscCall(PetscPrintf(comm, "eqrnn: signal %d: checkpoint at step %lld written, stopping\n",
                              run.signal(), st.step));
      if (run.stopRequested()) {
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
  result->wallSeconds = MPI_Wtime() - t0;
  PetscCall(rootValue(comm, &result->wallSeconds)); // one clock for the file and the line printed
  const long long done   = st.step - startStep;
  result->secondsPerStep = done > 0 ? result->wallSeconds / static_cast<double>(done) : 0.0;
  result->steps          = st.step;
  result->stepsThisRun   = done;
  result->firstLoss      = st.loss.empty() ? 0.0 : st.loss.front();
  result->finalLoss      = st.loss.empty() ? 0.0 : st.loss.back();
  result->bestLoss       = st.bestLoss;
  result->bestStep       = st.bestStep;
  result->checkpoints    = run.written();
  if (result->stoppedEarly) PetscFunctionReturn(0);
  // A checkpoint of the finished run, so that it can be continued with more -steps.
  if (!diverged &&
      (config.checkpointInterval > 0 || config.resume.checkpointWalltime > 0 ||
       !config.resume.restart.empty()) &&
      done > 0) {
    PetscCall(writeTrainingCheckpoint(run, spec, st));
    result->checkpoints = run.written();
  }
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

namespace {
class TrainCommand final : public Command {
public:
  void declare(ParameterSet &p) override { declareParameters(p, config_); }
  PetscErrorCode validate(MPI_Comm comm) override { return eqrnn::validate(comm, config_); }
  PetscErrorCode run(MPI_Comm comm, const ParameterSet &, int *status) override {
    TrainResult result;
    PetscFunctionBeginUser;
    PetscCall(runTrain(comm, config_, &result));
    if (result.stoppedEarly) {
      PetscCall(PetscPrintf(comm, "eqrnn: stopped at step %lld after %" PetscInt_FMT " checkpoint(s)\n",
                            result.steps, result.checkpoints));
      *status = kExitRequeue;
      PetscFunctionReturn(0);
    }
    PetscCall(PetscPrintf(
        comm,
        "eqrnn: trained to step %lld (%lld steps in %.2f s, %.4g s/step): loss %.4e -> %.4e, best "
        "%.4e at step %lld; written to %s\n",
        result.steps, result.stepsThisRun, result.wallSeconds, result.secondsPerStep, result.firstLoss,
        result.finalLoss, result.bestLoss, result.bestStep, config_.output.c_str()));
    if (config_.analyse && !result.analysis.testMse.empty()) {
      std::string mse, rel;
      for (std::size_t c = 0; c < result.analysis.testMse.size(); ++c) {
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%s%.3g", c ? ", " : "", result.analysis.testMse[c]);
        mse += buf;
        std::snprintf(buf, sizeof(buf), "%s%.3g", c ? ", " : "", result.analysis.testRelativeError[c]);
        rel += buf;
      }
      PetscCall(PetscPrintf(comm,
                            "eqrnn: test (%" PetscInt_FMT " sequences of %" PetscInt_FMT
                            " steps): MSE/s^2 %s, relative error %s; manifold residual r = %.3g\n",
                            config_.spec.task.testSamples, config_.spec.task.testLength, mse.c_str(),
                            rel.c_str(), result.analysis.manifoldResidual));
    }
    PetscFunctionReturn(0);
  }

private:
  TrainConfig config_;
};
} // namespace

EQRNN_REGISTER_COMMAND(TrainCommand, "train",
                       "train a recurrent network to integrate D signals at once (BPTT, MPI data-parallel); "
                       "analyse it",
                       60, true, "-checkpoint_walltime 300", "plot_training.py",
                       {"-trained_snes_", "-trained_ksp_", "-trained_pc_", "-trained_eps_", "-trained_st_",
                        "-trained_bv_", "-trained_ds_", "-trained_rg_"});

} // namespace eqrnn
