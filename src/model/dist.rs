//! Probability distributions for durations (in nanoseconds) and token counts.
//!
//! One type serves both: a [`Dist`] draws an `f64`, and callers turn it into
//! nanoseconds or tokens. Parameters are validated when the scenario is
//! loaded, so sampling never fails.

use crate::terminal::show_number;
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Exp, LogNormal, Normal};

/// How the constructors' messages show a value in the distribution's unit
/// (`"1s"` for nanoseconds, a plain number for tokens), so that a
/// parameter reads as it was written; shape parameters (`sigma`,
/// weights) are plain numbers whatever the unit.
pub type Show = fn(f64) -> String;

/// A distribution of non-negative values.
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    /// Always `value`.
    Constant(f64),
    /// Uniform on `[min, max]`.
    Uniform { min: f64, max: f64 },
    /// Exponential with the given mean.
    Exponential { mean: f64, exp: Exp<f64> },
    /// Log-normal with the given median (= e^mu) and shape `sigma`.
    LogNormal {
        median: f64,
        sigma: f64,
        ln: LogNormal<f64>,
    },
    /// |X| with X ~ Normal(mean, sd): a delay that cannot be negative.
    NormalAbs {
        mean: f64,
        sd: f64,
        normal: Normal<f64>,
    },
    /// One of `values`, each with probability proportional to its weight
    /// (e.g. sizes measured in production).
    Empirical {
        values: Vec<f64>,
        weights: Vec<f64>,
        /// Running sums of the weights, for drawing.
        cumulative: Vec<f64>,
    },
}

impl Dist {
    /// Uniform on `[min, max]`; `min <= max`, both finite and non-negative.
    pub fn uniform(min: f64, max: f64, show: Show) -> Result<Dist, String> {
        check_value("min", min, show)?;
        check_value("max", max, show)?;
        if max < min {
            return Err(format!(
                "max must be at least min ({}), not {}",
                show(min),
                show(max)
            ));
        }
        Ok(Dist::Uniform { min, max })
    }

    /// Exponential with mean `mean` (> 0).
    pub fn exponential(mean: f64, show: Show) -> Result<Dist, String> {
        check_positive("mean", mean, show)?;
        let exp = Exp::new(1.0 / mean).map_err(|e| format!("mean {}: {e}", show(mean)))?;
        Ok(Dist::Exponential { mean, exp })
    }

    /// Log-normal with median `median` (> 0) and shape `sigma` (>= 0).
    pub fn lognormal(median: f64, sigma: f64, show: Show) -> Result<Dist, String> {
        check_positive("median", median, show)?;
        check_value("sigma", sigma, show_number)?;
        let ln = LogNormal::new(median.ln(), sigma)
            .map_err(|e| format!("sigma {}: {e}", show_number(sigma)))?;
        Ok(Dist::LogNormal { median, sigma, ln })
    }

    /// |Normal(mean, sd)| with `mean` >= 0 and `sd` >= 0.
    pub fn normal_abs(mean: f64, sd: f64, show: Show) -> Result<Dist, String> {
        check_value("mean", mean, show)?;
        check_value("sd", sd, show)?;
        let normal = Normal::new(mean, sd).map_err(|e| format!("sd {}: {e}", show(sd)))?;
        Ok(Dist::NormalAbs { mean, sd, normal })
    }

    /// One of `values` (at least one), drawn with probability proportional
    /// to `weights` (all 1 if empty; else one non-negative weight per
    /// value, not all zero).
    ///
    /// ```
    /// use backsim::model::dist::Dist;
    /// use backsim::terminal::show_number;
    /// let d = Dist::empirical(vec![100.0, 400.0], vec![3.0, 1.0], show_number).unwrap();
    /// assert_eq!(d.mean(), 175.0);
    /// ```
    pub fn empirical(values: Vec<f64>, weights: Vec<f64>, show: Show) -> Result<Dist, String> {
        if values.is_empty() {
            return Err("values must list at least one value".into());
        }
        for v in &values {
            check_value("every value", *v, show)?;
        }
        let weights = if weights.is_empty() {
            vec![1.0; values.len()]
        } else {
            weights
        };
        if weights.len() != values.len() {
            return Err(format!(
                "weights must have one entry per value ({} values, {} weights)",
                values.len(),
                weights.len()
            ));
        }
        for w in &weights {
            check_value("every weight", *w, show_number)?;
        }
        let cumulative: Vec<f64> = weights
            .iter()
            .scan(0.0, |sum, w| {
                *sum += w;
                Some(*sum)
            })
            .collect();
        let total = *cumulative.last().expect("non-empty");
        if !(total > 0.0 && total.is_finite()) {
            return Err("the weights must add up to a finite number greater than 0".into());
        }
        Ok(Dist::Empirical {
            values,
            weights,
            cumulative,
        })
    }

    /// The value, if the distribution always gives the same one (and so
    /// draws nothing from the generator).
    pub fn constant(&self) -> Option<f64> {
        match self {
            Dist::Constant(v) => Some(*v),
            _ => None,
        }
    }

    /// Draws one value (always finite and >= 0).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Constant(v) => *v,
            Dist::Uniform { min, max } => {
                if max > min {
                    min + (max - min) * rng.random::<f64>()
                } else {
                    *min
                }
            }
            Dist::Exponential { exp, .. } => exp.sample(rng),
            Dist::LogNormal { ln, .. } => ln.sample(rng),
            Dist::NormalAbs { normal, .. } => normal.sample(rng).abs(),
            Dist::Empirical {
                values, cumulative, ..
            } => {
                let total = cumulative[cumulative.len() - 1];
                let u = total * rng.random::<f64>();
                // The first value whose running weight exceeds u; values
                // with zero weight are never drawn.
                let i = cumulative.partition_point(|&c| c <= u);
                values[i.min(values.len() - 1)]
            }
        }
    }

    /// The distribution's mean.
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Constant(v) => *v,
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Exponential { mean, .. } => *mean,
            Dist::LogNormal { median, sigma, .. } => median * (sigma * sigma / 2.0).exp(),
            Dist::NormalAbs { mean, sd, .. } => {
                if *sd == 0.0 {
                    return *mean;
                }
                // Mean of the folded normal distribution.
                let z = mean / sd;
                sd * (2.0 / std::f64::consts::PI).sqrt() * (-z * z / 2.0).exp()
                    + mean * (1.0 - 2.0 * normal_cdf(-z))
            }
            Dist::Empirical {
                values, weights, ..
            } => {
                let total: f64 = weights.iter().sum();
                values.iter().zip(weights).map(|(v, w)| v * w).sum::<f64>() / total
            }
        }
    }
}

fn check_value(what: &str, v: f64, show: Show) -> Result<(), String> {
    check(what, v, v >= 0.0, "at least", show)
}

fn check_positive(what: &str, v: f64, show: Show) -> Result<(), String> {
    check(what, v, v > 0.0, "greater than", show)
}

/// Fails unless `v` is finite and `ok`, which compares it with 0 as
/// `than` says.
fn check(what: &str, v: f64, ok: bool, than: &str, show: Show) -> Result<(), String> {
    if !v.is_finite() {
        Err(format!(
            "{what} must be a finite number, not {}",
            show_number(v)
        ))
    } else if !ok {
        Err(format!(
            "{what} must be {than} {}, not {}",
            show(0.0),
            show(v)
        ))
    } else {
        Ok(())
    }
}

/// Standard normal CDF, via the complementary error function.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Complementary error function (Numerical Recipes' Chebyshev fit,
/// fractional error below 1.2e-7 everywhere).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64;

    fn sample_mean(d: &Dist, n: usize) -> (f64, f64, f64) {
        let mut rng = Pcg64::seed_from_u64(42);
        let (mut sum, mut lo, mut hi) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
        for _ in 0..n {
            let x = d.sample(&mut rng);
            sum += x;
            lo = lo.min(x);
            hi = hi.max(x);
        }
        (sum / n as f64, lo, hi)
    }

    #[test]
    fn only_a_constant_is_constant() {
        let show = crate::terminal::show_number;
        assert_eq!(Dist::Constant(500.0).constant(), Some(500.0));
        assert_eq!(Dist::uniform(1.0, 2.0, show).unwrap().constant(), None);
        assert_eq!(Dist::exponential(3.0, show).unwrap().constant(), None);
    }

    #[test]
    fn sample_means_match_formulas() {
        let n = 400_000;
        for d in [
            Dist::uniform(1.0, 3.0, show_number).unwrap(),
            Dist::exponential(0.1, show_number).unwrap(),
            Dist::lognormal(800.0, 0.6, show_number).unwrap(),
            Dist::normal_abs(10.0, 2.0, show_number).unwrap(),
            Dist::normal_abs(0.0, 1.0, show_number).unwrap(),
            Dist::empirical(vec![100.0, 400.0, 900.0], vec![3.0, 1.0, 0.0], show_number).unwrap(),
        ] {
            let (mean, lo, _) = sample_mean(&d, n);
            assert!(lo >= 0.0);
            let rel = (mean - d.mean()).abs() / d.mean();
            assert!(rel < 0.01, "{d:?}: sample mean {mean} vs {}", d.mean());
        }
        // |N(0,1)| has mean sqrt(2/pi).
        let half = Dist::normal_abs(0.0, 1.0, show_number).unwrap().mean();
        assert!((half - (2.0 / std::f64::consts::PI).sqrt()).abs() < 1e-6);
    }

    #[test]
    fn uniform_stays_in_bounds() {
        let (_, lo, hi) = sample_mean(&Dist::uniform(1.0, 2.0, show_number).unwrap(), 10_000);
        assert!(lo >= 1.0 && hi <= 2.0);
    }

    #[test]
    fn rejects_bad_parameters() {
        assert!(Dist::uniform(2.0, 1.0, show_number).is_err());
        assert!(Dist::exponential(0.0, show_number).is_err());
        assert!(Dist::lognormal(-1.0, 0.5, show_number).is_err());
        assert!(Dist::lognormal(1.0, f64::NAN, show_number).is_err());
        assert!(Dist::normal_abs(1.0, -1.0, show_number).is_err());
        assert!(Dist::empirical(vec![], vec![], show_number).is_err());
        assert!(Dist::empirical(vec![1.0], vec![1.0, 2.0], show_number).is_err());
        assert!(Dist::empirical(vec![1.0, 2.0], vec![0.0, 0.0], show_number).is_err());
        assert!(Dist::empirical(vec![-1.0], vec![], show_number).is_err());
    }

    #[test]
    fn messages_show_values_in_the_distributions_unit() {
        let time: Show = |ns| crate::time::format_duration(ns as u64);
        let e = |r: Result<Dist, String>| r.unwrap_err();
        assert_eq!(
            e(Dist::uniform(2e9, 1e9, time)),
            "max must be at least min (2s), not 1s"
        );
        assert_eq!(
            e(Dist::uniform(2e9, 1e9, show_number)),
            "max must be at least min (2000000000), not 1000000000"
        );
        assert_eq!(
            e(Dist::exponential(0.0, time)),
            "mean must be greater than 0s, not 0s"
        );
        assert_eq!(
            e(Dist::normal_abs(-1.5, 1.0, show_number)),
            "mean must be at least 0, not -1.5"
        );
        assert_eq!(
            e(Dist::lognormal(1e9, f64::INFINITY, time)),
            "sigma must be a finite number, not inf"
        );
    }

    #[test]
    fn empirical_draws_listed_values_in_proportion() {
        let d =
            Dist::empirical(vec![100.0, 400.0, 900.0], vec![3.0, 1.0, 0.0], show_number).unwrap();
        let mut rng = Pcg64::seed_from_u64(5);
        let n = 100_000;
        let hundreds = (0..n)
            .map(|_| d.sample(&mut rng))
            .inspect(|x| assert!(*x == 100.0 || *x == 400.0, "{x}"))
            .filter(|x| *x == 100.0)
            .count();
        // Binomial(n, 3/4): sd = sqrt(n · 3/16) ≈ 137; allow 5 sd.
        assert!(
            (hundreds as f64 - 0.75 * n as f64).abs() < 700.0,
            "{hundreds}"
        );
    }

    #[test]
    fn normal_cdf_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_963_985) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-1.0) - 0.158_655_254).abs() < 1e-6);
    }
}
