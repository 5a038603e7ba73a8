//! `branchsim validate FILE...`

use super::{EXIT_BAD_INPUT, EXIT_OK, ValidateArgs};
use crate::scenario;

pub fn validate(a: &ValidateArgs) -> i32 {
    let mut code = EXIT_OK;
    for f in &a.files {
        match scenario::load_file(f) {
            Ok(l) => {
                if !a.quiet {
                    eprint!("{}", l.warnings.render(&l.path, &l.source));
                    let names: Vec<&str> = l.variants.iter().skip(1).map(|v| v.name.as_str()).collect();
                    let extra =
                        if names.is_empty() { String::new() } else { format!(", variants: {}", names.join(", ")) };
                    println!("ok: {} — \"{}\"{extra}", l.path, l.baseline().model.name);
                }
            }
            Err(e) => {
                eprint!("{}", e.render());
                eprintln!("{}: {} error(s)", e.path, e.diags.error_count());
                code = EXIT_BAD_INPUT;
            }
        }
    }
    code
}
