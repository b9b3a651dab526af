//! `embed_migrations!("dir")`: the migration folders of a crate, read at
//! compile time and included with `include_str!` (so edits rebuild).

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let lit: LitStr = syn::parse2(input)?;
    let root = std::env::var("CARGO_MANIFEST_DIR")
        .map_err(|_| syn::Error::new(lit.span(), "CARGO_MANIFEST_DIR is not set"))?;
    let dir = std::path::Path::new(&root).join(lit.value());
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        syn::Error::new(
            lit.span(),
            format!("cannot read migrations folder {}: {e}", dir.display()),
        )
    })?;
    let mut folders: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let mut files = Vec::new();
        for f in std::fs::read_dir(&path)
            .map_err(|e| syn::Error::new(lit.span(), e.to_string()))?
            .flatten()
        {
            let fname = f.file_name().to_string_lossy().into_owned();
            if fname.ends_with(".sql") {
                files.push((fname, f.path().to_string_lossy().into_owned()));
            }
        }
        files.sort();
        folders.push((name, files));
    }
    folders.sort();
    let items = folders.iter().map(|(name, files)| {
        let files = files.iter().map(|(fname, path)| quote!((#fname, include_str!(#path))));
        quote!(::orm_migrate::EmbeddedMigration { folder: #name, files: &[#(#files),*] })
    });
    Ok(quote!(::orm_migrate::Migrations::__embedded(&[#(#items),*])))
}
