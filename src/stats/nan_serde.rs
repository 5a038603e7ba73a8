//! JSON has no NaN: undefined values are written as `null` (serde_json does this for
//! non-finite floats) and read back as NaN with these helpers.

use serde::{Deserialize, Deserializer};

pub fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

pub fn vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    Ok(Vec::<Option<f64>>::deserialize(d)?.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
}

pub fn pair<'de, D: Deserializer<'de>>(d: D) -> Result<[f64; 2], D::Error> {
    let [a, b] = <[Option<f64>; 2]>::deserialize(d)?;
    Ok([a.unwrap_or(f64::NAN), b.unwrap_or(f64::NAN)])
}

/// (name, value, flag) triples as used by rankings.
pub fn ranked<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, f64, bool)>, D::Error> {
    Ok(Vec::<(String, Option<f64>, bool)>::deserialize(d)?
        .into_iter()
        .map(|(n, v, b)| (n, v.unwrap_or(f64::NAN), b))
        .collect())
}
