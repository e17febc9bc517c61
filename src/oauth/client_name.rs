//! Client names are shown to users on the consent and connections pages, so a name must look
//! like what it is. A name may not contain control characters, bidirectional-text controls
//! (which make `Claude<RLO>lanigiro` read as something else) or invisible characters
//! (zero-width spaces and joiners, word joiners, fillers, tag characters), which hide or
//! reorder what the user reads. Registration refuses such names (RFC 7591
//! `invalid_client_metadata`); pages render any stored anyway through [`visible`].
//!
//! A self-registered client can still call itself "Claude": the consent page says that such a
//! name is unverified and shows where the code will be sent.

/// Is `c` a character that hides or reorders text?
pub fn is_deceptive(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'                      // soft hyphen
            | '\u{034F}'                    // combining grapheme joiner
            | '\u{061C}'                    // Arabic letter mark
            | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers
            | '\u{17B4}' | '\u{17B5}'       // Khmer inherent vowels
            | '\u{180E}'                    // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}'       // zero-width space/joiners, LRM, RLM
            | '\u{2028}'..='\u{202E}'       // line/paragraph separators, bidi embeddings/overrides
            | '\u{2060}'..='\u{206F}'       // word joiner, invisible operators, bidi isolates
            | '\u{FEFF}'                    // zero-width no-break space
            | '\u{FFF9}'..='\u{FFFB}'       // interlinear annotation
            | '\u{E0000}'..='\u{E007F}'     // tag characters
        )
}

/// Why a name cannot be registered, if it cannot.
pub fn check(name: &str) -> Result<(), &'static str> {
    if name.chars().any(is_deceptive) {
        return Err("client_name must not contain control, bidirectional-text or invisible characters");
    }
    Ok(())
}

/// `name` with every such character replaced by U+FFFD, for display.
pub fn visible(name: &str) -> std::borrow::Cow<'_, str> {
    if name.chars().any(is_deceptive) {
        name.chars()
            .map(|c| if is_deceptive(c) { '\u{FFFD}' } else { c })
            .collect::<String>()
            .into()
    } else {
        name.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_zero_width_and_control_characters_are_refused() {
        for bad in [
            "Claude\u{202E}lanigiro",
            "Cla\u{200B}ude",
            "Claude\u{2066}x\u{2069}",
            "Claude\u{200D}",
            "Claude\u{FEFF}",
            "Claude\u{E0041}",
            "Claude\u{0007}",
            "Claude\nDesktop",
            "Claude\u{2028}Desktop",
            "\u{3164}",
        ] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ordinary_names_in_any_script_are_accepted() {
        for ok in [
            "Claude",
            "Claude Code (dev)",
            "Zürich Notes",
            "記憶ツール",
            "مذكرات",
            "Claude ❤\u{FE0F}",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn stored_names_are_shown_with_the_hidden_characters_marked() {
        assert_eq!(visible("Cl\u{202E}aude"), "Cl\u{FFFD}aude");
        assert_eq!(visible("Claude"), "Claude");
    }
}
