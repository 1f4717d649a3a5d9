//! Small statistics: nearest-rank quantiles, means with Student-t
//! confidence intervals.

/// The nearest-rank `p`-quantile (0 < p <= 1) of sorted values: the smallest
/// value with at least a fraction `p` of the values at or below it.
///
/// ```
/// use backsim::metrics::stats::quantile_sorted;
/// let v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
/// assert_eq!(quantile_sorted(&v, 0.5), Some(5));
/// assert_eq!(quantile_sorted(&v, 0.9), Some(9));
/// assert_eq!(quantile_sorted(&v, 0.99), Some(10));
/// ```
pub fn quantile_sorted<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Mean of the finite values (NaN when there are none).
pub fn mean(values: impl IntoIterator<Item = f64>) -> f64 {
    let (sum, n) = values
        .into_iter()
        .filter(|x| x.is_finite())
        .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

/// Mean of the finite values and the half-width of its 95% confidence
/// interval (Student t with n − 1 degrees of freedom). The mean is NaN when
/// there are no finite values; the half-width is NaN with fewer than two.
pub fn mean_ci95(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
    let n = v.len();
    let mean = mean(v.iter().copied());
    if n < 2 {
        return (mean, f64::NAN);
    }
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    (mean, t_975(n - 1) * (var / n as f64).sqrt())
}

/// Degrees of freedom whose 0.975-quantile a thread keeps once computed.
const KEPT_T_975: usize = 4096;

thread_local! {
    /// `student_t_quantile(0.975, df)` for df = 1, 2, … as computed so far
    /// on this thread (NaN: not yet).
    static T_975: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `student_t_quantile(0.975, df)`, the same number, computed once per
/// thread for each `df` below [`KEPT_T_975`]: each takes about 400
/// evaluations of the incomplete beta function, and every aggregate of a
/// sweep point or a tune candidate asks for it several times.
#[inline(never)]
fn t_975(df: usize) -> f64 {
    if df >= KEPT_T_975 {
        return student_t_quantile(0.975, df as f64);
    }
    T_975.with(|kept| {
        let mut kept = kept.borrow_mut();
        if kept.len() <= df {
            kept.resize(df + 1, f64::NAN);
        }
        if kept[df].is_nan() {
            kept[df] = student_t_quantile(0.975, df as f64);
        }
        kept[df]
    })
}

/// The `p`-quantile (0.5 <= p < 1) of Student's t distribution with `df`
/// degrees of freedom, found by bisection on the CDF.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 1.0);
    while student_t_cdf(hi, df) < p {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if student_t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// CDF of Student's t distribution.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * regularized_incomplete_beta(x, df / 2.0, 0.5);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// I_x(a, b), by the continued fraction (modified Lentz), using the
/// symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where it converges faster.
fn regularized_incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_fraction(x, a, b) / a
    } else {
        1.0 - ln_front.exp() * beta_fraction(1.0 - x, b, a) / b
    }
}

fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..500 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, n = 9).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let sum: f64 = G[1..]
        .iter()
        .enumerate()
        .map(|(i, g)| g / (x + i as f64 + 1.0))
        .sum::<f64>()
        + G[0];
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Two-sided 95% critical values from standard t tables.
        for (df, t) in [
            (1.0, 12.706),
            (2.0, 4.303),
            (4.0, 2.776),
            (9.0, 2.262),
            (19.0, 2.093),
            (30.0, 2.042),
            (120.0, 1.980),
        ] {
            let q = student_t_quantile(0.975, df);
            assert!((q - t).abs() < 5e-4, "df {df}: {q} vs {t}");
        }
        assert!((student_t_quantile(0.975, 1e7) - 1.959_964).abs() < 1e-4);
    }

    #[test]
    fn kept_t_quantiles_are_the_computed_ones() {
        // Asked twice (the second from what the thread kept), in any order,
        // and past the kept range: the same bits as computing them afresh.
        for df in [5, 1, 2, 4095, 4096, 10_000, 5, 1] {
            let want = student_t_quantile(0.975, df as f64);
            assert_eq!(t_975(df).to_bits(), want.to_bits(), "df {df}");
        }
        // 1, 2, 3: mean 2, sample variance 1, half-width t(2) / sqrt(3).
        let (m, ci) = mean_ci95([1.0, 2.0, 3.0]);
        assert_eq!(m, 2.0);
        assert!((ci - 4.303 / 3f64.sqrt()).abs() < 5e-4, "{ci}");
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        for (n, fact) in [(1.0, 1.0f64), (5.0, 24.0), (11.0, 3_628_800.0)] {
            assert!((ln_gamma(n) - fact.ln()).abs() < 1e-10);
        }
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-10);
    }

    #[test]
    fn mean_and_interval() {
        // Values 1..=10: mean 5.5, sd = sqrt(55/6) = 3.0277, se = 0.95743;
        // half-width = 2.2622 × 0.95743 = 2.1659.
        let (m, h) = mean_ci95((1..=10).map(f64::from));
        assert_eq!(m, 5.5);
        assert!((h - 2.1659).abs() < 1e-3, "{h}");
        let (m, h) = mean_ci95([3.0]);
        assert_eq!(m, 3.0);
        assert!(h.is_nan());
        let (m, h) = mean_ci95([2.0, 2.0, f64::NAN]);
        assert_eq!((m, h), (2.0, 0.0));
        assert!(mean_ci95([]).0.is_nan());
    }

    #[test]
    fn nearest_rank() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(quantile_sorted(&v, 0.5), Some(50));
        assert_eq!(quantile_sorted(&v, 0.99), Some(99));
        assert_eq!(quantile_sorted(&v, 1.0), Some(100));
        assert_eq!(quantile_sorted(&[7], 0.01), Some(7));
        assert_eq!(quantile_sorted::<u32>(&[], 0.5), None);
    }
}
