//! What an executable's header says about the platform it is for: ELF (Linux, FreeBSD), Mach-O
//! (macOS) and PE (Windows), enough to tell every release platform from every other.

use std::collections::BTreeSet;

/// What scripts/release builds by default, in its order, and the executable format of each.
pub const PLATFORMS: &[(&str, Format)] = &[
    (
        "linux_amd64",
        Format::Elf {
            machine: 62, // EM_X86_64
            interp: "/lib64/ld-linux-x86-64.so.2",
        },
    ),
    (
        "linux_arm64",
        Format::Elf {
            machine: 183, // EM_AARCH64
            interp: "/lib/ld-linux-aarch64.so.1",
        },
    ),
    (
        "darwin_amd64",
        Format::MachO {
            cputype: 0x0100_0007, // CPU_TYPE_X86_64
        },
    ),
    (
        "darwin_arm64",
        Format::MachO {
            cputype: 0x0100_000c, // CPU_TYPE_ARM64
        },
    ),
    ("windows_amd64", Format::Pe),
    (
        "freebsd_amd64",
        Format::Elf {
            machine: 62,
            interp: "/libexec/ld-elf.so.1",
        },
    ),
];

/// The platform the tests package from their own build (`scripts/release --binary`) instead of
/// cross-building: it is the host's, so it is linked against the host's glibc, not 2.17.
pub const GIVEN: &str = "linux_amd64";

#[derive(Debug, Clone, Copy)]
pub enum Format {
    Elf { machine: u16, interp: &'static str },
    MachO { cputype: u32 },
    Pe,
}

fn u16le(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap_or([0; 2]))
}

fn u32le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or([0; 4]))
}

fn u64le(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]))
}

/// Checks an executable's header against its platform; returns a one-line description.
pub fn check_format(platform: &str, format: Format, bin: &[u8]) -> String {
    assert!(bin.len() > 4096, "{platform}: only {} bytes", bin.len());
    match format {
        Format::Elf { machine, interp } => {
            assert_eq!(&bin[..4], b"\x7fELF", "{platform}: not an ELF file");
            assert_eq!(bin[4], 2, "{platform}: not a 64-bit ELF");
            assert_eq!(bin[5], 1, "{platform}: not little-endian");
            let e_type = u16le(bin, 16);
            assert!(
                e_type == 2 || e_type == 3,
                "{platform}: ELF type {e_type} is not an executable"
            );
            assert_eq!(
                u16le(bin, 18),
                machine,
                "{platform}: ELF machine {} is not {machine}",
                u16le(bin, 18)
            );
            // The program interpreter names the OS's loader (glibc's, or FreeBSD's).
            let phoff = u64le(bin, 32) as usize;
            let phentsize = usize::from(u16le(bin, 54));
            let phnum = usize::from(u16le(bin, 56));
            let found = (0..phnum)
                .map(|i| phoff + i * phentsize)
                .find(|&ph| u32le(bin, ph) == 3) // PT_INTERP
                .map(|ph| {
                    let off = u64le(bin, ph + 8) as usize;
                    let size = u64le(bin, ph + 32) as usize;
                    String::from_utf8_lossy(&bin[off..off + size])
                        .trim_end_matches('\0')
                        .to_string()
                });
            assert_eq!(
                found.as_deref(),
                Some(interp),
                "{platform}: wrong program interpreter"
            );
            if platform == GIVEN {
                // The test build's own binary: the host's glibc.
            } else if platform.starts_with("linux_") {
                // Built against glibc 2.17: it runs on every distribution from 2014 on.
                let newest = glibc_versions(bin).into_iter().max();
                assert!(
                    newest.is_some_and(|v| v <= (2, 17)),
                    "{platform}: needs glibc {newest:?}, more than 2.17"
                );
            } else {
                assert!(
                    glibc_versions(bin).is_empty(),
                    "{platform}: refers to glibc"
                );
            }
            format!("ELF machine {machine}, loader {interp}")
        }
        Format::MachO { cputype } => {
            assert_eq!(
                u32le(bin, 0),
                0xfeed_facf,
                "{platform}: not a 64-bit Mach-O file"
            );
            assert_eq!(
                u32le(bin, 4),
                cputype,
                "{platform}: Mach-O CPU type {:#x} is not {cputype:#x}",
                u32le(bin, 4)
            );
            assert_eq!(u32le(bin, 12), 2, "{platform}: not MH_EXECUTE");
            let ncmds = u32le(bin, 16) as usize;
            let mut at = 32;
            let mut commands = Vec::new();
            let mut dylibs = Vec::new();
            let mut min_os = None;
            for _ in 0..ncmds {
                let cmd = u32le(bin, at);
                let size = u32le(bin, at + 4) as usize;
                assert!(size >= 8, "{platform}: bad load command size");
                if cmd == 0x32 {
                    // LC_BUILD_VERSION: platform 1 is macOS; minos is xxxx.yy.zz in nibbles.
                    assert_eq!(u32le(bin, at + 8), 1, "{platform}: not built for macOS");
                    min_os = Some(u32le(bin, at + 12));
                }
                if cmd == 0xc {
                    // LC_LOAD_DYLIB: the name starts at the offset in the command.
                    let name_at = at + u32le(bin, at + 8) as usize;
                    let name = &bin[name_at..at + size];
                    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                    dylibs.push(String::from_utf8_lossy(&name[..end]).into_owned());
                }
                commands.push(cmd);
                at += size;
            }
            assert!(
                commands.contains(&0x8000_0028),
                "{platform}: no LC_MAIN entry point"
            );
            // It must start on macOS 11 (scripts/release's MACOS_MIN), not only on the newest.
            assert!(
                min_os.is_some_and(|v| v <= 0x000b_0000),
                "{platform}: needs macOS {:?} (as 0xMMMMmmpp), newer than 11.0",
                min_os.map(|v| format!("{v:#x}"))
            );
            // macOS on Apple silicon runs only signed code: the linker's ad-hoc signature.
            if cputype == 0x0100_000c {
                assert!(
                    commands.contains(&0x1d),
                    "{platform}: no LC_CODE_SIGNATURE; macOS on arm64 would kill it"
                );
            }
            assert!(
                dylibs.iter().any(|d| d == "/usr/lib/libSystem.B.dylib"),
                "{platform}: does not link libSystem: {dylibs:?}"
            );
            for d in &dylibs {
                assert!(
                    d.starts_with("/usr/lib/") || d.starts_with("/System/Library/"),
                    "{platform}: links {d}, which is not part of macOS"
                );
            }
            format!("Mach-O cputype {cputype:#x}, {} dylibs", dylibs.len())
        }
        Format::Pe => {
            assert_eq!(&bin[..2], b"MZ", "{platform}: no MZ header");
            let pe = u32le(bin, 0x3c) as usize;
            assert_eq!(&bin[pe..pe + 4], b"PE\0\0", "{platform}: no PE signature");
            assert_eq!(u16le(bin, pe + 4), 0x8664, "{platform}: not x86-64 (AMD64)");
            let characteristics = u16le(bin, pe + 22);
            assert!(
                characteristics & 0x0002 != 0,
                "{platform}: not an executable image"
            );
            assert!(characteristics & 0x2000 == 0, "{platform}: a DLL");
            let optional = pe + 24;
            assert_eq!(u16le(bin, optional), 0x20b, "{platform}: not PE32+");
            // Terraform starts it without a window: the console subsystem.
            assert_eq!(
                u16le(bin, optional + 68),
                3,
                "{platform}: not a console program"
            );
            "PE32+ AMD64 console".to_string()
        }
    }
}

/// The `GLIBC_2.N[.M]` symbol versions a binary refers to, as (2, N).
fn glibc_versions(bin: &[u8]) -> BTreeSet<(u32, u32)> {
    let needle = b"GLIBC_2.";
    let mut found = BTreeSet::new();
    let mut i = 0;
    while let Some(pos) = bin[i..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + i)
    {
        let digits: String = bin[pos + needle.len()..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .map(|&b| char::from(b))
            .collect();
        if let Ok(minor) = digits.parse() {
            found.insert((2, minor));
        }
        i = pos + needle.len();
    }
    found
}
