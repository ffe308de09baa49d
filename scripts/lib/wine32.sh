# Sourced by scripts/test-native and scripts/test-dist, which define SUDO, apt_install (and
# its apt_updated), note and die.
#
# find_wine32: sets WINE32 to 32-bit Wine's loader, or leaves it empty with the reason in
# NO_WINE32. wine32:i386 is installed when missing (adding the i386 dpkg architecture) unless
# JDY_WINE32=0. Where the apt sources have no i386 packages, dpkg is left as it was (so later
# apt runs are not broken by an i386 index) and only the 32-bit run is skipped, said so in
# the summary; JDY_WINE32=1 makes that a failure instead.
find_wine32() {
    WINE32=""
    NO_WINE32="JDY_WINE32=0 was set"
    if [ -x /usr/lib/wine/wine ]; then
        WINE32=/usr/lib/wine/wine
        return 0
    fi
    [ "${JDY_WINE32:-1}" = 1 ] || return 0
    note "installing wine32 (adds the i386 architecture to dpkg; JDY_WINE32=0 skips this)"
    local added_i386=""
    if ! dpkg --print-foreign-architectures | grep -qx i386; then
        $SUDO dpkg --add-architecture i386
        added_i386=1
    fi
    apt_updated=""
    if apt_install wine32:i386 && [ -x /usr/lib/wine/wine ]; then
        WINE32=/usr/lib/wine/wine
        return 0
    fi
    if [ -n "$added_i386" ] && ! dpkg -l | awk '$1 == "ii" {print $2}' | grep -q ':i386$'; then
        $SUDO dpkg --remove-architecture i386 || true
        $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq || true
    fi
    [ "${JDY_WINE32:-}" != 1 ] || die "wine32:i386 could not be installed (see apt's messages above)"
    NO_WINE32="wine32:i386 could not be installed from this machine's apt sources"
}
