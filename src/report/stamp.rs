//! Provenance stamped into chart files: the scenario's name and content hash, the seed, the
//! replications and the branchsim version, so that a chart copied into a slide deck can still
//! be traced to the run that drew it. SVG gets an XML comment inside its root element; PNG gets
//! standard `iTXt` chunks (`Title`, `Software`, `Comment`), written by the `png` crate's
//! encoder. iTXt rather than tEXt because tEXt is Latin-1: a Chinese scenario name would not
//! survive it.

/// What a chart is stamped with.
#[derive(Clone, Debug, PartialEq)]
pub struct Stamp {
    /// The scenario's name, in any script.
    pub scenario: String,
    /// One line: version, content hash, seed, replications (see `note`).
    pub note: String,
    pub version: String,
}

impl Stamp {
    pub fn new(scenario: &str, content_hash: &str, seed: u64, replications: u64, version: &str) -> Stamp {
        Stamp {
            scenario: scenario.to_string(),
            note: note(content_hash, seed, replications, version),
            version: version.to_string(),
        }
    }

    /// The provenance of a run's results.
    pub fn of(r: &crate::report::Results) -> Stamp {
        Stamp::new(&r.scenario.name, &r.scenario.content_hash, r.seed, r.replications, &r.branchsim_version)
    }

    /// The PNG text chunks as (keyword, text): registered PNG keywords, which image viewers
    /// show as the picture's title, software and comment.
    pub fn png_texts(&self) -> [(&'static str, String); 3] {
        [
            ("Title", self.scenario.clone()),
            ("Software", format!("branchsim {}", self.version)),
            ("Comment", self.note.clone()),
        ]
    }

    /// The SVG with the scenario name and the note as a comment after its opening tag (the
    /// name's markup characters escaped, so no name can look like an element to a scanner).
    pub fn svg(&self, svg_text: &str) -> String {
        let name = self.scenario.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        svg(svg_text, &format!("{name}; {}", self.note))
    }
}

/// The text stamped into charts.
pub fn note(content_hash: &str, seed: u64, replications: u64, version: &str) -> String {
    format!("branchsim {version}; scenario content hash {content_hash}; seed {seed}; {replications} replications")
}

/// The SVG with `note` as a comment right after its opening `<svg ...>` tag.
pub fn svg(svg: &str, note: &str) -> String {
    // Comments may not contain `--`; the note never does, but a scenario name may.
    let mut note = note.to_string();
    while note.contains("--") {
        note = note.replace("--", "- -");
    }
    match svg.find("<svg").and_then(|s| svg[s..].find('>').map(|e| s + e + 1)) {
        Some(at) => format!("{}\n<!-- {note} -->{}", &svg[..at], &svg[at..]),
        None => svg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_carries_the_note_and_name() {
        let s = svg("<svg width=\"1\" xmlns=\"http://www.w3.org/2000/svg\"><text>x</text></svg>", "n --- 1");
        assert!(s.starts_with("<svg width=\"1\" xmlns=\"http://www.w3.org/2000/svg\">\n<!-- n - - - 1 -->"), "{s}");
        assert!(s.ends_with("<text>x</text></svg>"));
        let st = Stamp::new("柜台 branch", "abc", 7, 10, "0.1.0");
        let s = st.svg("<svg><g/></svg>");
        assert!(
            s.contains("<!-- 柜台 branch; branchsim 0.1.0; scenario content hash abc; seed 7; 10 replications -->")
        );
        let s = Stamp::new("</svg> -->", "h", 1, 1, "0").svg("<svg><g/></svg>");
        assert!(s.contains("<!-- &lt;/svg&gt; - -&gt;; branchsim 0"), "{s}");
    }
}
