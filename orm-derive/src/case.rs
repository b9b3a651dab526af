//! Name conventions: snake_case, plurals for table names, serde's rename rules.

/// `UserProfile` -> `user_profile`
pub(crate) fn snake(s: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower = i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if i > 0 && (prev_lower || (next_lower && chars[i - 1].is_uppercase())) {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(*c);
        }
    }
    out
}

/// `user` -> `users`, `category` -> `categories`, `box` -> `boxes`
pub(crate) fn plural(s: &str) -> String {
    let ends = |suffix: &str| s.ends_with(suffix);
    if ends("s") || ends("x") || ends("z") || ends("ch") || ends("sh") {
        format!("{s}es")
    } else if ends("y") && !["ay", "ey", "iy", "oy", "uy"].iter().any(|v| ends(v)) {
        format!("{}ies", &s[..s.len() - 1])
    } else {
        format!("{s}s")
    }
}

/// Apply a serde `rename_all` rule to a variant name written in PascalCase.
pub(crate) fn rename(rule: &str, variant: &str) -> Option<String> {
    let snake = snake(variant);
    Some(match rule {
        "lowercase" => variant.to_lowercase(),
        "UPPERCASE" => variant.to_uppercase(),
        "PascalCase" => variant.to_owned(),
        "camelCase" => {
            let mut c = variant.chars();
            match c.next() {
                Some(f) => f.to_lowercase().chain(c).collect(),
                None => String::new(),
            }
        }
        "snake_case" => snake,
        "SCREAMING_SNAKE_CASE" => snake.to_uppercase(),
        "kebab-case" => snake.replace('_', "-"),
        "SCREAMING-KEBAB-CASE" => snake.replace('_', "-").to_uppercase(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snake("UserProfile"), "user_profile");
        assert_eq!(snake("HTTPRequest"), "http_request");
        assert_eq!(plural("user"), "users");
        assert_eq!(plural("category"), "categories");
        assert_eq!(plural("day"), "days");
        assert_eq!(plural("box"), "boxes");
        assert_eq!(rename("camelCase", "AdminUser").as_deref(), Some("adminUser"));
        assert_eq!(rename("snake_case", "AdminUser").as_deref(), Some("admin_user"));
        assert_eq!(rename("bogus", "A"), None);
    }
}
