# shellcheck shell=bash
# `setup.sh image`: an SD-card image with the kiosk in it, from an official Raspberry Pi OS
# Bookworm Lite image (sourced by setup.sh after deploy/common.sh and deploy/install.sh).
#
# The image's partitions (a FAT boot, an ext4 root) are loop-mounted and `install --root`
# puts the app, config, units and fragments in; first boot on the Pi does the rest. Where
# loop devices are unavailable (containers, --no-loop) the same install goes into a staging
# tree whose files are then written into the partitions with debugfs (ext4) and mtools (FAT).
# With --offline (deploy/offline.sh) the root grows to --root-size and the station's packages,
# a wheelhouse and the release's Python environment go in too, through a chroot of the image
# (qemu-user on an x86 PC), so first boot needs no network.
# The image never holds a station key or a database. A failed run leaves no half-made --out file.

IMAGE_FROM=""
IMAGE_OUT=""
IMAGE_PARTIAL=""
NO_LOOP=0
USERCONF=""
INSTALL_ARGS=()
BOOT_START=0
BOOT_SIZE=0
ROOT_START=0
ROOT_SIZE=0
WORK_DIR=""
MOUNTED=()
ROOT_DIR=""
ROOT_METHOD=""
BOOT_METHOD=""
readonly BOOT_FILES=(config.txt cmdline.txt userconf.txt)
DATA_MB=""
ROOT_MB=""
DATA_START=0
DATA_SIZE=0
OFFLINE=0

parse_image_options() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --from) [ $# -ge 2 ] || die "--from needs an image file"; IMAGE_FROM="$2"; shift 2 ;;
            --out) [ $# -ge 2 ] || die "--out needs a file name"; IMAGE_OUT="$2"; shift 2 ;;
            --userconf) [ $# -ge 2 ] || die "--userconf needs a file"; USERCONF="$2"; shift 2 ;;
            --log) [ $# -ge 2 ] || die "--log needs a file"; LOG_FILE="$2"; shift 2 ;;
            --no-loop) NO_LOOP=1; shift ;;
            --offline) OFFLINE=1; shift ;;
            --data-size) [ $# -ge 2 ] || die "--data-size needs megabytes"; DATA_MB="$2"; shift 2 ;;
            --root-size) [ $# -ge 2 ] || die "--root-size needs megabytes"; ROOT_MB="$2"; shift 2 ;;
            --root) die "image chooses the root itself; use install --root DIR for a mounted root" ;;
            --writable-root|--desk) INSTALL_ARGS+=("$1"); shift ;;
            --card-key) die "--card-key goes onto one station only: setup.sh install --card-key FILE on it, never into an image" ;;
            --no-apt|--dry-run) die "$1 does not apply to image (packages are installed at first boot)" ;;
            --*) if [ $# -lt 2 ] || [[ "$2" == --* ]]; then die "$1 needs a value"; fi
                 INSTALL_ARGS+=("$1" "$2"); shift 2 ;;
            *) die "unknown argument '$1' for image (see ./setup.sh --help)" ;;
        esac
    done
    need_root image
    [ -n "$IMAGE_FROM" ] || die "--from is needed: the Raspberry Pi OS Bookworm Lite image (.img or .img.xz)"
    [ -n "$IMAGE_OUT" ] || die "--out is needed: the station image to write (station.img)"
    if [ ! -f "$IMAGE_FROM" ] || [ ! -r "$IMAGE_FROM" ]; then
        die "--from $IMAGE_FROM: no such file (download it from raspberrypi.com/software)"
    fi
    case "$IMAGE_FROM" in
        *.img|*.img.xz) ;;
        *) die "--from $IMAGE_FROM: expected a .img or .img.xz file" ;;
    esac
    [ "$(readlink -f "$IMAGE_FROM")" != "$(readlink -f "$IMAGE_OUT")" ] || die "--out must differ from --from"
    [ -d "$(dirname "$IMAGE_OUT")" ] || die "--out $IMAGE_OUT: its directory does not exist"
    [ -z "$USERCONF" ] || [ -r "$USERCONF" ] || die "--userconf $USERCONF: cannot read it"
    if [ -n "$DATA_MB" ] && ! [[ "$DATA_MB" =~ ^[0-9]+$ && "$DATA_MB" -ge 16 ]]; then
        die "--data-size '$DATA_MB' is not valid: megabytes, at least 16 (2048 is plenty for years)"
    fi
    if [ -n "$ROOT_MB" ] && ! [[ "$ROOT_MB" =~ ^[0-9]+$ ]]; then
        die "--root-size '$ROOT_MB' is not valid: megabytes (4096 leaves room for packages)"
    fi
    [ -z "$ROOT_MB" ] || [ -n "$DATA_MB" ] || [ "$OFFLINE" -eq 1 ] \
        || die "--root-size goes with --data-size or --offline (otherwise the Pi grows the root itself)"
    [ "$OFFLINE" -eq 0 ] || [ "$NO_LOOP" -eq 0 ] \
        || die "--offline needs loop devices (it runs the image's programs in a chroot of its root): drop --no-loop"
    if [ -n "$DATA_MB" ] && [[ " ${INSTALL_ARGS[*]} " == *" --read-only-root "* ]]; then
        die "--data-size makes the data partition (LABEL=kiosk-data) itself: drop --read-only-root"
    fi
    local tool
    for tool in sfdisk debugfs mcopy xz; do
        command -v "$tool" >/dev/null || die "$tool not found: apt-get install fdisk e2fsprogs mtools xz-utils"
    done
}

uncompressed_bytes() {
    if [[ "$IMAGE_FROM" == *.xz ]]; then
        xz --robot --list "$IMAGE_FROM" 2>/dev/null | awk '$1 == "totals" {print $5}'
    else
        stat -c %s "$IMAGE_FROM"
    fi
}

write_out_image() {
    local need free_kb
    need="$(uncompressed_bytes || true)"
    [ -n "$need" ] || die "--from $IMAGE_FROM: not a valid xz file (damaged download? fetch it again)"
    free_kb="$(df -Pk "$(dirname "$IMAGE_OUT")" | awk 'NR == 2 {print $4}')"
    [ "$((free_kb * 1024))" -gt "$need" ] || die "not enough space for $IMAGE_OUT: $((need / 1048576)) MB needed"
    IMAGE_PARTIAL="$IMAGE_OUT.partial"
    if [[ "$IMAGE_FROM" == *.xz ]]; then
        xz -dc "$IMAGE_FROM" >"$IMAGE_PARTIAL" || die "--from $IMAGE_FROM: cannot decompress it (damaged download?)"
    else
        cp --sparse=always "$IMAGE_FROM" "$IMAGE_PARTIAL"
    fi
}

# Partition 1 must be FAT (the boot firmware), partition 2 Linux (the root filesystem).
read_partitions() {
    local table boot_type root_type
    table="$(sfdisk -d "$IMAGE_PARTIAL" 2>/dev/null)" \
        || die "--from $IMAGE_FROM: no partition table (is it a disk image?)"
    read -r BOOT_START BOOT_SIZE boot_type < <(partition_fields "$table" 1)
    read -r ROOT_START ROOT_SIZE root_type < <(partition_fields "$table" 2)
    case "${boot_type:-}" in
        b|c|e|ef|EBD0A0A2-B9E5-4433-87C0-68B6B72699C7) ;;
        *) die "--from $IMAGE_FROM: partition 1 is not a FAT boot partition (is it Raspberry Pi OS?)" ;;
    esac
    case "${root_type:-}" in
        83|0FC63DAF-8483-4772-8E79-3D69D8477DE4) ;;
        *) die "--from $IMAGE_FROM: partition 2 is not a Linux root partition (is it Raspberry Pi OS?)" ;;
    esac
    note "boot: sectors $BOOT_START+$BOOT_SIZE, root: sectors $ROOT_START+$ROOT_SIZE"
}

# "start size type" of partition N from `sfdisk -d` ("img2 : start= 8192, size= 1048576, type=83").
partition_fields() {
    printf '%s\n' "$1" | awk -v n="$2" '
        {
            line = $0; gsub(/[ \t]/, "", line)
            colon = index(line, ":"); if (colon == 0) next
            if (substr(line, 1, colon - 1) !~ ("[^0-9]" n "$")) next
            count = split(substr(line, colon + 1), parts, ",")
            start = size = type = ""
            for (i = 1; i <= count; i++) {
                split(parts[i], kv, "=")
                if (kv[1] == "start") start = kv[2]
                if (kv[1] == "size") size = kv[2]
                if (kv[1] == "type") type = kv[2]
            }
            print start, size, type
        }'
}

cleanup_image() {
    local i
    close_chroot
    for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
        umount "${MOUNTED[$i]}" 2>/dev/null || umount -l "${MOUNTED[$i]}" 2>/dev/null || true
    done
    MOUNTED=()
    [ -n "$WORK_DIR" ] && rm -rf "$WORK_DIR"
    if [ -n "$IMAGE_PARTIAL" ] && [ -f "$IMAGE_PARTIAL" ]; then rm -f "$IMAGE_PARTIAL"; fi
}

# --data-size: a third partition, LABEL=kiosk-data, for /var/lib/kiosk under a read-only root.
# Raspberry Pi OS only grows the root to fill the card when it is the last partition, so the
# root is grown here instead (--root-size, 4096 MB by default): first boot needs the room.
# --offline grows the root the same way, for the packages and the Python environment.
add_data_partition() {
    if [ -z "$DATA_MB" ]; then
        [ "$OFFLINE" -eq 1 ] && grow_root_for_offline
        return 0
    fi
    [ -z "$(partition_fields "$(sfdisk -d "$IMAGE_PARTIAL")" 3)" ] \
        || die "--from $IMAGE_FROM already has a third partition: start from the official image"
    local root_sectors
    root_sectors="$(root_sectors_wanted)"
    DATA_START=$((ROOT_START + root_sectors))
    DATA_SIZE=$((DATA_MB * 2048))
    note "root grows to $((root_sectors / 2048)) MB; data partition of $DATA_MB MB after it"
    truncate -s $(( (DATA_START + DATA_SIZE) * 512 )) "$IMAGE_PARTIAL"
    resize_root "$root_sectors"
    printf 'start=%s, size=%s, type=83\n' "$DATA_START" "$DATA_SIZE" \
        | sfdisk -q --no-reread --no-tell-kernel --append "$IMAGE_PARTIAL" || die "sfdisk could not add partition 3"
    INSTALL_ARGS+=(--read-only-root LABEL=kiosk-data)
}

# --root-size MB (4096 by default) in sectors, 4 MiB aligned as the image is; never smaller
# than the root already is.
root_sectors_wanted() {
    local root_sectors=$(( ${ROOT_MB:-4096} * 2048 ))
    [ "$root_sectors" -gt "$ROOT_SIZE" ] || root_sectors="$ROOT_SIZE"
    printf '%s\n' $(( (root_sectors + 8191) / 8192 * 8192 ))
}

grow_root_for_offline() {
    [ -z "$(partition_fields "$(sfdisk -d "$IMAGE_PARTIAL")" 3)" ] \
        || die "--from $IMAGE_FROM has a partition after the root: start from the official image"
    local root_sectors
    root_sectors="$(root_sectors_wanted)"
    [ "$root_sectors" -gt "$ROOT_SIZE" ] || return 0
    note "root grows to $((root_sectors / 2048)) MB for the packages and the Python environment"
    truncate -s $(( (ROOT_START + root_sectors) * 512 )) "$IMAGE_PARTIAL"
    resize_root "$root_sectors"
}

# Partition 2 and its ext4 filesystem grown to $1 sectors (the image file holds them already).
# resize2fs on "image?offset=N" would grow the filesystem and then cut the image file to the
# filesystem's own size, offset ignored (e2fsprogs 1.47): the root's last sectors and any
# partition after it gone. So it works on a loop device of the partition, or else on a copy.
resize_root() {
    local root_sectors="$1" old_sectors="$ROOT_SIZE" device part
    printf ',%s\n' "$root_sectors" | sfdisk -q --no-reread --no-tell-kernel -N 2 "$IMAGE_PARTIAL" \
        || die "sfdisk could not grow partition 2"
    if loop_available && device="$(losetup --find --show --offset $((ROOT_START * 512)) \
            --sizelimit $((root_sectors * 512)) "$IMAGE_PARTIAL" 2>/dev/null)"; then
        grow_filesystem "$device" "$root_sectors"
        losetup -d "$device"
    else
        part="$WORK_DIR/root.part"
        dd if="$IMAGE_PARTIAL" of="$part" bs=4M iflag=skip_bytes,count_bytes conv=sparse status=none \
            skip=$((ROOT_START * 512)) count=$((old_sectors * 512)) || die "cannot copy the root partition out"
        truncate -s $((root_sectors * 512)) "$part"
        grow_filesystem "$part" "$root_sectors"
        dd if="$part" of="$IMAGE_PARTIAL" bs=4M oflag=seek_bytes conv=notrunc status=none \
            seek=$((ROOT_START * 512)) || die "cannot copy the grown root partition back"
        rm -f "$part"
    fi
    ROOT_SIZE="$root_sectors"
}

grow_filesystem() {
    e2fsck -fy "$1" >/dev/null 2>&1 || [ $? -le 1 ] || die "the image's root filesystem has errors e2fsck cannot fix"
    resize2fs "$1" "$(($2 / 2))K" >/dev/null 2>&1 || die "resize2fs could not grow the root filesystem"
}

# The data partition's filesystem, its top directory owned by kiosk and closed to others
# (it is mounted at /var/lib/kiosk). Made after install, which adds the kiosk user.
format_data_partition() {
    [ -n "$DATA_MB" ] || return 0
    local ids="$1" data="$IMAGE_PARTIAL?offset=$((DATA_START * 512))"
    mke2fs -F -q -t ext4 -L kiosk-data -E "offset=$((DATA_START * 512)),root_owner=$ids,nodiscard" \
        "$IMAGE_PARTIAL" "$((DATA_SIZE / 2))k" || die "mke2fs could not make the data partition"
    debugfs -w -R "sif / mode 040700" "$data" 2>/dev/null || die "debugfs could not close the data partition"
}

loop_available() {
    [ "$NO_LOOP" -eq 0 ] && [ -e /dev/loop-control ] && losetup -f >/dev/null 2>&1
}

# The root partition: loop-mounted, or else copied out into a staging tree (debugfs).
open_root() {
    ROOT_DIR="$WORK_DIR/root"
    mkdir -p "$ROOT_DIR"
    if loop_available && mount -t ext4 -o "loop,offset=$((ROOT_START * 512)),sizelimit=$((ROOT_SIZE * 512))" \
            "$IMAGE_PARTIAL" "$ROOT_DIR" 2>/dev/null; then
        MOUNTED+=("$ROOT_DIR")
        ROOT_METHOD="loop"
    else
        ROOT_DIR="$WORK_DIR/stage"
        ROOT_METHOD="debugfs"
        stage_from_partitions
    fi
}

# The boot partition: loop-mounted at the root's /boot/firmware, or else its files are
# copied there with mtools (and copied back, and removed from the root, when done).
open_boot() {
    local boot="$ROOT_DIR/boot/firmware" name
    mkdir -p "$boot"
    if [ "$ROOT_METHOD" = loop ] && mount -t vfat -o "loop,offset=$((BOOT_START * 512)),sizelimit=$((BOOT_SIZE * 512))" \
            "$IMAGE_PARTIAL" "$boot" 2>/dev/null; then
        MOUNTED+=("$boot")
        BOOT_METHOD="loop"
        return
    fi
    BOOT_METHOD="mtools"
    for name in "${BOOT_FILES[@]}"; do
        mcopy -n -i "$(fat_spec)" "::$name" "$boot/$name" 2>/dev/null || true
    done
    [ -f "$boot/config.txt" ] || die "--from $IMAGE_FROM: no config.txt on partition 1 (is it Raspberry Pi OS?)"
}

close_boot() {
    [ "$BOOT_METHOD" = mtools ] || return 0
    local boot="$ROOT_DIR/boot/firmware" name
    for name in "${BOOT_FILES[@]}"; do
        [ -f "$boot/$name" ] || continue
        mcopy -o -i "$(fat_spec)" "$boot/$name" "::$name" || die "mcopy could not write $name to the boot partition"
        rm -f "$boot/$name"
    done
}

close_root() {
    if [ "$ROOT_METHOD" = debugfs ]; then
        write_back_partitions
    fi
    sync
    local i
    for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do umount "${MOUNTED[$i]}"; done
    MOUNTED=()
}

ext4_spec() { printf '%s?offset=%s' "$IMAGE_PARTIAL" "$((ROOT_START * 512))"; }
fat_spec() { printf '%s@@%s' "$IMAGE_PARTIAL" "$((BOOT_START * 512))"; }

# Files install reads or edits, copied out of the partitions into the staging tree.
readonly STAGED_FROM_IMAGE=(/etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/fstab /etc/kiosk/kiosk.toml /etc/kiosk/browser.env)

stage_from_partitions() {
    local stage="$WORK_DIR/stage" path
    mkdir -p "$stage/etc" "$WORK_DIR/orig"
    debugfs -R "stats" "$(ext4_spec)" >/dev/null 2>&1 \
        || die "--from $IMAGE_FROM: partition 2 is not an ext4 filesystem"
    debugfs -R "dump /usr/lib/os-release $stage/etc/os-release" "$(ext4_spec)" 2>/dev/null
    [ -s "$stage/etc/os-release" ] || debugfs -R "dump /etc/os-release $stage/etc/os-release" "$(ext4_spec)" 2>/dev/null
    for path in "${STAGED_FROM_IMAGE[@]}"; do
        mkdir -p "$stage$(dirname "$path")"
        debugfs -R "dump -p $path $stage$path" "$(ext4_spec)" 2>/dev/null || true
        if [ -f "$stage$path" ]; then install -D -p "$stage$path" "$WORK_DIR/orig$path"; fi
    done
}

# What the staging tree holds, as debugfs commands: new directories (ours get their modes
# and owners), changed files (their owners; debugfs keeps the mode) and symlinks.
debugfs_script() {
    local stage="$1" path mode uid gid
    while IFS= read -r -d '' path; do
        printf 'mkdir "/%s"\n' "$path"
        case "/$path" in
            /opt/kiosk*|/etc/kiosk*|/var/lib/kiosk*)
                read -r mode uid gid < <(stat -c '%a %u %g' "$stage/$path")
                printf 'sif "/%s" mode 040%s\nsif "/%s" uid %s\nsif "/%s" gid %s\n' \
                    "$path" "$mode" "$path" "$uid" "$path" "$gid" ;;
        esac
    done < <(find "$stage" -mindepth 1 -type d ! -path "$stage/boot*" -printf '%P\0' | sort -z)
    while IFS= read -r -d '' path; do
        [ "/$path" = /etc/os-release ] && continue
        if [ -f "$WORK_DIR/orig/$path" ] && cmp -s "$stage/$path" "$WORK_DIR/orig/$path"; then
            continue
        fi
        read -r uid gid < <(stat -c '%u %g' "$stage/$path")
        printf 'rm "/%s"\nwrite "%s" "/%s"\nsif "/%s" uid %s\nsif "/%s" gid %s\n' \
            "$path" "$stage/$path" "$path" "$path" "$uid" "$path" "$gid"
    done < <(find "$stage" -type f ! -path "$stage/boot/*" -printf '%P\0' | sort -z)
    while IFS= read -r -d '' path; do
        printf 'rm "/%s"\nsymlink "/%s" "%s"\n' "$path" "$path" "$(readlink "$stage/$path")"
    done < <(find "$stage" -type l ! -path "$stage/boot/*" -printf '%P\0' | sort -z)
}

write_back_partitions() {
    local stage="$WORK_DIR/stage" errors
    debugfs_script "$stage" >"$WORK_DIR/debugfs.cmds"
    debugfs -w -f "$WORK_DIR/debugfs.cmds" "$(ext4_spec)" >/dev/null 2>"$WORK_DIR/debugfs.err" \
        || die "debugfs could not write the root partition (see $WORK_DIR/debugfs.err)"
    errors="$(grep -v -e '^debugfs [0-9]' -e 'already exists' -e 'File not found by ext2_lookup' "$WORK_DIR/debugfs.err" || true)"
    [ -z "$errors" ] || die "writing the root partition failed: $errors"
}

image_station() {
    parse_image_options "$@"
    STEPS=$((6 + OFFLINE))
    open_log
    trap cleanup_image EXIT
    trap 'exit 130' INT TERM  # Ctrl-C: the EXIT trap unmounts and removes the partial image
    WORK_DIR="$(mktemp -d)"
    step 1 "checking $IMAGE_FROM"
    step 2 "writing $IMAGE_OUT"
    write_out_image
    step 3 "reading the partition table"
    read_partitions
    add_data_partition
    open_root
    open_boot
    step 4 "installing into the image (root: $ROOT_METHOD, boot: $BOOT_METHOD)"
    install_station --root "$ROOT_DIR" --no-apt "${INSTALL_ARGS[@]}"
    STEPS=$((6 + OFFLINE))
    if [ "$OFFLINE" -eq 1 ]; then
        step 5 "packages, wheelhouse and Python environment into the image (offline first boot)"
        offline_build
    fi
    if [ -n "$USERCONF" ]; then
        cp "$USERCONF" "$ROOT_DIR/boot/firmware/userconf.txt"  # FAT: no modes to set
    fi
    [ ! -e "$ROOT_DIR/var/lib/kiosk/station.key" ] || die "a station key ended up in the image: refusing to write it"
    local ids
    ids="$(kiosk_ids)" || die "no kiosk user in the image after install"
    step $((5 + OFFLINE)) "writing the partitions"
    close_boot
    close_root
    format_data_partition "$ids"
    step $((6 + OFFLINE)) "checking the result"
    debugfs -R "stat /var/lib/kiosk/station.key" "$(ext4_spec)" 2>&1 | grep -q "File not found" \
        || die "the image holds a station key: refusing it"
    debugfs -R "stat /etc/systemd/system/kiosk-firstboot.service" "$(ext4_spec)" >/dev/null 2>&1 \
        || die "kiosk-firstboot.service is missing from the image"
    mv "$IMAGE_PARTIAL" "$IMAGE_OUT"
    IMAGE_PARTIAL=""
    if [ "$OFFLINE" -eq 1 ]; then
        say "done" "$IMAGE_OUT is ready: write it to an SD card (Raspberry Pi Imager or dd); first boot needs no network"
    else
        say "done" "$IMAGE_OUT is ready: write it to an SD card (Raspberry Pi Imager or dd); first boot needs the network (--offline makes a card that does not)"
    fi
}
