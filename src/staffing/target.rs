//! Service targets a staffing plan must meet in every interval, and their per-interval
//! estimates with confidence.
//!
//! A target is read from the command line as `KPI OP VALUE`: `service_level>=0.8`,
//! `service_level(20s)>=0.8` (another wait threshold than the scenario's `service_level`),
//! `abandon_rate<=0.05`, `wait_mean<=2min`, `wait_p90<=5min`, `utilisation<=0.85` (every
//! staffed resource) or `utilisation[teller]<=0.85`. Customer KPIs are counted by the
//! interval the customer *arrived* in (the planner's view: "80% of those who came between
//! 12:00 and 12:30 were served within 5 minutes"); utilisation is busy time over scheduled
//! time within the interval.
//!
//! A customer KPI can be narrowed, inside the brackets, to one customer type
//! (`service_level(customer=business)>=0.9`), one step (`wait_p90(step=teller)<=5min`: the
//! waits at that step, by the interval the customer reached it) or the steps one resource
//! serves (`abandon_rate(resource=advisor)<=0.05`); a threshold and a scope combine:
//! `service_level(20s, step=teller)>=0.8`.
//!
//! `wait_p90` is the 90th percentile (nearest rank) of the waits of the customers served
//! from the interval, averaged over replications (the p90 of a typical day); waits of
//! customers who abandoned are not known and are left out, as in `wait_mean`.

use crate::scenario::diag::did_you_mean;
use crate::scenario::units;
use crate::stats::student_t::{t_cdf, t975};

/// What a target measures.
#[derive(Clone, Debug, PartialEq)]
pub enum Measure {
    /// Share of served customers whose total wait is at most `threshold` minutes.
    ServiceLevel { threshold: f64 },
    /// Abandoned (reneged or balked) over arrived (served + abandoned).
    AbandonRate,
    /// Mean wait of served customers (minutes).
    WaitMean,
    /// 90th percentile of the waits of served customers (minutes).
    WaitP90,
    /// Busy over scheduled staff time; `None`: every resource being staffed.
    Utilisation { resource: Option<String> },
}

/// Which customers a customer KPI counts.
#[derive(Clone, Debug, PartialEq)]
pub enum Scope {
    /// Every customer, by arrival interval.
    All,
    /// Customers of one type, by arrival interval.
    Customer(String),
    /// Visits to one step, by the interval the customer reached it.
    Step(String),
    /// Visits to the steps a resource serves (its own and those of its skills).
    Resource(String),
}

impl Measure {
    /// Whether the value is a duration (minutes inside, the scenario's unit when shown).
    pub fn is_duration(&self) -> bool {
        matches!(self, Measure::WaitMean | Measure::WaitP90)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub measure: Measure,
    /// Which customers or visits it counts (`All` for utilisation).
    pub scope: Scope,
    /// `true`: the KPI must be at least `value` (`>=`); `false`: at most.
    pub at_least: bool,
    pub value: f64,
    /// As the user wrote it (for tables and messages).
    pub text: String,
}

const KPIS: &[&str] = &["service_level", "abandon_rate", "wait_mean", "wait_p90", "utilisation"];
const SCOPES: &[&str] = &["customer", "step", "resource"];

impl Target {
    /// Parses one `--target`; `default_sl` is the scenario's service-level wait (minutes).
    pub fn parse(text: &str, default_sl: f64) -> Result<Target, String> {
        let t = text.trim();
        let (lhs, op, rhs) = ["<=", ">="]
            .iter()
            .find_map(|op| t.split_once(op).map(|(a, b)| (a.trim(), *op, b.trim())))
            .ok_or_else(|| format!("target `{text}`: expected KPI>=VALUE or KPI<=VALUE, e.g. service_level>=0.8"))?;
        let (name, args) = match lhs.split_once(['(', '[']) {
            Some((n, rest)) => {
                let arg = rest.strip_suffix([')', ']']).ok_or_else(|| format!("target `{text}`: unclosed bracket"))?;
                (n.trim(), arg.split(',').map(str::trim).filter(|a| !a.is_empty()).collect::<Vec<_>>())
            }
            None => (lhs, Vec::new()),
        };
        let ratio = |s: &str| -> Result<f64, String> {
            let v: f64 = s.parse().map_err(|_| format!("target `{text}`: `{s}` is not a number"))?;
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("target `{text}`: a share must be between 0 and 1, found {v}"));
            }
            Ok(v)
        };
        // `key=name` arguments narrow the scope; a bare argument is the threshold
        // (service_level) or the resource (utilisation).
        let mut scope = Scope::All;
        let mut bare: Option<&str> = None;
        for a in &args {
            match a.split_once('=') {
                Some((k, v)) => {
                    if scope != Scope::All {
                        return Err(format!("target `{text}`: one scope (customer=, step= or resource=) per target"));
                    }
                    let v = v.trim().trim_matches('"').to_string();
                    scope = match k.trim() {
                        "customer" => Scope::Customer(v),
                        "step" => Scope::Step(v),
                        "resource" => Scope::Resource(v),
                        k => {
                            return Err(format!("target `{text}`: unknown scope `{k}`; {}", did_you_mean(k, SCOPES)));
                        }
                    };
                }
                None if bare.is_none() => bare = Some(a),
                None => return Err(format!("target `{text}`: more than one argument without a `key=`")),
            }
        }
        let measure = match name {
            "service_level" => {
                let threshold = match bare {
                    Some(a) => units::parse_duration(a).map_err(|e| format!("target `{text}`: {e}"))?,
                    None => default_sl,
                };
                Measure::ServiceLevel { threshold }
            }
            "abandon_rate" => Measure::AbandonRate,
            "wait_mean" => Measure::WaitMean,
            "wait_p90" => Measure::WaitP90,
            "utilisation" | "utilization" => {
                let resource = match (&scope, bare) {
                    (Scope::Resource(r), None) => Some(r.clone()),
                    (Scope::All, b) => b.map(str::to_string),
                    _ => return Err(format!("target `{text}`: utilisation is per resource: utilisation[teller]")),
                };
                scope = Scope::All;
                Measure::Utilisation { resource }
            }
            _ => return Err(format!("target `{text}`: unknown KPI `{name}`; {}", did_you_mean(name, KPIS))),
        };
        if bare.is_some() && matches!(measure, Measure::AbandonRate | Measure::WaitMean | Measure::WaitP90) {
            return Err(format!("target `{text}`: `{name}` takes no threshold (a scope is written key=name)"));
        }
        let value = match measure {
            Measure::WaitMean | Measure::WaitP90 => {
                units::parse_duration(rhs).map_err(|e| format!("target `{text}`: {e}"))?
            }
            _ => ratio(rhs)?,
        };
        if measure.is_duration() && op == ">=" {
            return Err(format!("target `{text}`: a wait target is an upper bound: {name}<=VALUE"));
        }
        Ok(Target { measure, scope, at_least: op == ">=", value, text: t.to_string() })
    }

    /// Whether an estimate meets the target.
    pub fn met_by(&self, x: f64) -> bool {
        // An interval nobody arrived in has no customer KPI: nothing to miss.
        if x.is_nan() {
            return true;
        }
        if self.at_least { x >= self.value - 1e-12 } else { x <= self.value + 1e-12 }
    }

    /// How far `x` is on the wrong side of the target (0 when met), in the KPI's unit.
    pub fn shortfall(&self, x: f64) -> f64 {
        if x.is_nan() {
            return 0.0;
        }
        if self.at_least { (self.value - x).max(0.0) } else { (x - self.value).max(0.0) }
    }
}

/// A ratio estimate `Σa / Σb` over replications, with its delta-method standard error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub value: f64,
    /// Standard error of `value` (NaN with fewer than two replications).
    pub se: f64,
    /// Replications behind it.
    pub n: usize,
}

impl Estimate {
    /// From per-replication numerators and denominators (replications with `b == 0` count
    /// with zero weight, as the ratio estimator does).
    pub fn ratio(pairs: impl Iterator<Item = (f64, f64)> + Clone) -> Estimate {
        let (mut sa, mut sb, mut n) = (0.0, 0.0, 0usize);
        for (a, b) in pairs.clone() {
            sa += a;
            sb += b;
            n += 1;
        }
        if sb <= 0.0 || n == 0 {
            return Estimate { value: f64::NAN, se: f64::NAN, n };
        }
        let r = sa / sb;
        let ss: f64 = pairs.map(|(a, b)| (a - r * b).powi(2)).sum();
        let mb = sb / n as f64;
        let se = if n > 1 { (ss / (n as f64 * (n - 1) as f64)).sqrt() / mb } else { f64::NAN };
        Estimate { value: r, se, n }
    }

    /// 95% confidence interval (Student t).
    pub fn ci95(&self) -> (f64, f64) {
        let h = if self.n > 1 { t975(self.n - 1) * self.se } else { f64::NAN };
        (self.value - h, self.value + h)
    }

    /// One-sided confidence that the true value meets `target` (t distribution): 1 when the
    /// estimate is exact (no variation) and meets it, 0.5 on the boundary.
    pub fn confidence(&self, target: &Target) -> f64 {
        if self.value.is_nan() {
            return 1.0;
        }
        let margin = if target.at_least { self.value - target.value } else { target.value - self.value };
        if self.se.is_nan() || self.se <= 0.0 || self.n < 2 {
            return if margin >= 0.0 { 1.0 } else { 0.0 };
        }
        t_cdf(margin / self.se, (self.n - 1) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form_and_rejects_typos() {
        let t = Target::parse("service_level>=0.8", 5.0).unwrap();
        assert_eq!(t.measure, Measure::ServiceLevel { threshold: 5.0 });
        assert!(t.at_least && t.value == 0.8);
        let t = Target::parse("service_level(20s) >= 0.9", 5.0).unwrap();
        assert_eq!(t.measure, Measure::ServiceLevel { threshold: 20.0 / 60.0 });
        let t = Target::parse("wait_mean<=2min", 5.0).unwrap();
        assert!(!t.at_least && t.value == 2.0);
        let t = Target::parse("utilisation[teller]<=0.85", 5.0).unwrap();
        assert_eq!(t.measure, Measure::Utilisation { resource: Some("teller".into()) });
        let e = Target::parse("servce_level>=0.8", 5.0).unwrap_err();
        assert!(e.contains("service_level"), "{e}");
        assert!(Target::parse("abandon_rate<=1.5", 5.0).is_err());
        let t = Target::parse("service_level(20s, step=柜台)>=0.8", 5.0).unwrap();
        assert_eq!(t.measure, Measure::ServiceLevel { threshold: 20.0 / 60.0 });
        assert_eq!(t.scope, Scope::Step("柜台".into()));
        let t = Target::parse("wait_p90(customer=business)<=5min", 5.0).unwrap();
        assert_eq!((t.measure, t.scope, t.value), (Measure::WaitP90, Scope::Customer("business".into()), 5.0));
        let t = Target::parse("utilisation(resource=teller)<=0.9", 5.0).unwrap();
        assert_eq!((t.measure, t.scope), (Measure::Utilisation { resource: Some("teller".into()) }, Scope::All));
        let e = Target::parse("abandon_rate(stp=teller)<=0.1", 5.0).unwrap_err();
        assert!(e.contains("`step`"), "{e}");
        assert!(Target::parse("wait_p90>=5min", 5.0).is_err());
        assert!(Target::parse("wait_p90(5min)<=5min", 5.0).is_err());
        assert!(Target::parse("abandon_rate=0.1", 5.0).is_err());
    }

    /// The ratio estimator's standard error matches the delta method computed by hand.
    #[test]
    fn ratio_estimate_and_confidence() {
        let pairs = [(8.0, 10.0), (9.0, 10.0), (7.0, 10.0)];
        let e = Estimate::ratio(pairs.iter().copied());
        assert!((e.value - 0.8).abs() < 1e-12);
        // Residuals 0, 1, -1: ss = 2, se = sqrt(2 / 6) / 10.
        assert!((e.se - (2.0f64 / 6.0).sqrt() / 10.0).abs() < 1e-12);
        let t = Target::parse("service_level>=0.8", 5.0).unwrap();
        assert!((e.confidence(&t) - 0.5).abs() < 1e-9);
        // 0.2 above the target is 3.46 standard errors: t with 2 degrees of freedom, 0.963.
        let t = Target::parse("service_level>=0.6", 5.0).unwrap();
        assert!((e.confidence(&t) - 0.963).abs() < 0.001, "{}", e.confidence(&t));
    }
}
