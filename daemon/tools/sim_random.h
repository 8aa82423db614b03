// Portable, reproducible random numbers for the simulator.
//
// std:: and absl:: distributions are not guaranteed to produce the same
// sequence across library versions, so every distribution here is built
// directly on the raw 64-bit output of std::mt19937_64, whose sequence is
// fixed by the C++ standard. Same seed => same numbers, everywhere.
#ifndef OUTCOMESD_DAEMON_TOOLS_SIM_RANDOM_H_
#define OUTCOMESD_DAEMON_TOOLS_SIM_RANDOM_H_

#include <cmath>
#include <cstdint>
#include <random>

namespace outcomes::tools {

class SimRandom {
 public:
  explicit SimRandom(uint64_t seed) : engine_(seed) {}

  uint64_t Bits() { return engine_(); }

  // Uniform in [0, 1), 53 bits of precision.
  double Uniform01() {
    return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
  }

  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform01(); }

  // Uniform integer in [0, n); n > 0. Lemire's multiply-shift (negligible
  // bias for the small n used here, and fully deterministic).
  uint64_t UniformInt(uint64_t n) {
    return static_cast<uint64_t>(
        (static_cast<unsigned __int128>(engine_()) * n) >> 64);
  }

  bool Bernoulli(double p) { return Uniform01() < p; }

  // Exponential with the given mean (> 0).
  double Exponential(double mean) { return -mean * std::log1p(-Uniform01()); }

  // Normal via Box-Muller (one value per call; simple beats fast here).
  double Normal(double mean, double stddev) {
    const double u1 = 1.0 - Uniform01();  // (0, 1]
    const double u2 = Uniform01();
    const double z =
        std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    return mean + stddev * z;
  }

  // Index drawn with the given weights (need not sum to 1; all >= 0).
  template <typename Container>
  int Weighted(const Container& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = Uniform01() * total;
    int i = 0;
    for (double w : weights) {
      if (x < w) return i;
      x -= w;
      ++i;
    }
    return i - 1;
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace outcomes::tools

#endif  // OUTCOMESD_DAEMON_TOOLS_SIM_RANDOM_H_
