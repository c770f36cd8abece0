#!/usr/bin/python3
"""The authors' multiplexed-integration training step in PyTorch (CPU), as the reference for bench_train.py.

    train_torch.py -n 1000 -D 2 -T 3 --batch 1024 --steps 50 --lr 1e-3 --threads 1 [--phi relu] [--dtype float64]

Model (docs/mathematics.md section 9, the authors' form): h_t = phi(W (h_{t-1} + sum_c e_c x_{c,t})) + b, h_0 = 0,
y_{c,t} = d_c . h_t; e_c, d_c ~ N(0, 1/n) fixed, b = 0 fixed, W trained from W = 0 by Adam. Inputs x ~ N(0, 1),
targets y*_{c,t} = gamma_c (x_{c,t} + y*_{c,t-1}), loss sum_c MSE_c / (s_c^2 T^2) with s_c = 1 and MSE_c the mean
over batch and time, ReLU with derivative 1 at 0 (eqrnn's default). Prints one line
of JSON: seconds per step (after 3 warm-up steps, median of per-step times and mean), the first and final loss.
The data come from torch's generator, not eqrnn's Philox: the comparison is of cost per step and of the loss
reached after equal numbers of steps, not of bitwise trajectories.
"""

import argparse
import json
import statistics
import sys
import time


def add_setting_arguments(p, steps):
    """The training setting (shared with bench_train.py, which passes it on): the authors' by default."""
    p.add_argument("-n", type=int, default=1000)
    p.add_argument("-D", type=int, default=2)
    p.add_argument("-T", type=int, default=3)
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--steps", type=int, default=steps)
    p.add_argument("--lr", type=float, default=1e-3)


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_setting_arguments(p, steps=50)
    p.add_argument("--decay", type=float, default=0.995)
    p.add_argument("--phi", default="relu", choices=["linear", "relu", "tanh", "sigmoid"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args(argv)


def main(argv=None):
    a = parse(argv)
    try:
        import torch
    except ImportError:
        sys.exit("train_torch.py: error: PyTorch is not installed (apt-get install python3-torch)")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    dtype = getattr(torch, a.dtype)
    # ReLU as clamp(min=0): its gradient at exactly 0 is 1, eqrnn's default -relu_derivative_at_zero 1 (torch.relu
    # takes 0 there, and a network started at W = 0 would never learn).
    phi = {"linear": lambda z: z, "relu": lambda z: z.clamp(min=0), "tanh": torch.tanh,
           "sigmoid": torch.sigmoid}[a.phi]
    n, D, T, B = a.n, a.D, a.T, a.batch
    enc = torch.randn(D, n, dtype=dtype) / n ** 0.5  # rows e_c
    dec = torch.randn(D, n, dtype=dtype) / n ** 0.5  # rows d_c
    W = torch.zeros(n, n, dtype=dtype, requires_grad=True)
    opt = torch.optim.Adam([W], lr=a.lr)
    gamma = torch.full((D,), a.decay, dtype=dtype)

    def step():
        x = torch.randn(T, B, D, dtype=dtype)
        h = torch.zeros(B, n, dtype=dtype)
        target = torch.zeros(B, D, dtype=dtype)
        loss = 0.0
        for t in range(T):
            target = gamma * (x[t] + target)
            h = phi((h + x[t] @ enc) @ W.T)  # row-vector form of W (h + sum_c e_c x_c)
            loss = loss + ((h @ dec.T - target) ** 2).mean(0).sum()
        loss = loss / T ** 3  # sum_c MSE_c / T^2 (s_c = 1), MSE_c the mean over batch and time: sum_t / T
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return float(loss)

    losses, times = [], []
    for k in range(a.steps):
        t0 = time.perf_counter()
        losses.append(step())
        times.append(time.perf_counter() - t0)
    timed = times[3:] if len(times) > 6 else times
    print(json.dumps({"framework": "pytorch " + torch.__version__, "threads": a.threads, "dtype": a.dtype,
                      "seconds_per_step_median": statistics.median(timed),
                      "seconds_per_step_mean": sum(timed) / len(timed), "first_loss": losses[0],
                      "final_loss": losses[-1], "steps": a.steps}))


if __name__ == "__main__":
    main()
