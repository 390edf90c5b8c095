#!/bin/sh
# Installs, or updates, LAP for the current user (no administrator rights needed).
#   ./install.sh              install or update into ~/.local (LAP_PREFIX overrides ~/.local)
#   ./install.sh --uninstall  remove the program; your ordonnances and settings stay
# Data and settings are never in the program folder: ~/.local/share/lap-app and
# ~/.config/lap-app, so an update (a new archive, ./install.sh again) keeps them.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${LAP_PREFIX:-$HOME/.local}
DEST=$PREFIX/opt/lap-app
APP_ID=fr.lap_app.LAP
APPS=$PREFIX/share/applications
ICONS=$PREFIX/share/icons/hicolor
METAINFO=$PREFIX/share/metainfo

refresh_menus() {
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$APPS" || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$ICONS" || true
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$DEST"
  rm -f "$PREFIX/bin/lap-app" "$APPS/$APP_ID.desktop" "$METAINFO/$APP_ID.metainfo.xml" \
        "$ICONS/scalable/apps/$APP_ID.svg" "$ICONS/256x256/apps/$APP_ID.png"
  refresh_menus
  echo "LAP est désinstallé. Vos données restent dans ${XDG_DATA_HOME:-$HOME/.local/share}/lap-app."
  exit 0
fi

if [ ! -x "$HERE/lap-app" ]; then
  echo "Erreur : lancez ce script depuis le dossier décompressé de LAP (lap-app/install.sh)." >&2
  exit 1
fi

# Copy the new version beside the old one, then swap: a failed copy leaves the old one working.
if [ "$HERE" != "$DEST" ]; then
  mkdir -p "$PREFIX/opt"
  rm -rf "$DEST.new"
  cp -a "$HERE" "$DEST.new"
  rm -rf "$DEST.old"
  if [ -d "$DEST" ]; then mv "$DEST" "$DEST.old"; fi
  mv "$DEST.new" "$DEST"
  rm -rf "$DEST.old"
fi

mkdir -p "$PREFIX/bin" "$APPS" "$METAINFO" "$ICONS/scalable/apps" "$ICONS/256x256/apps"
ln -sfn "$DEST/lap-app" "$PREFIX/bin/lap-app"
# The menu entry starts the installed executable by its full path (~/.local/bin may not be
# on the desktop session's PATH).
sed -e "s|^TryExec=lap-app|TryExec=$DEST/lap-app|" -e "s|^Exec=lap-app|Exec=\"$DEST/lap-app\"|" \
  "$DEST/share/applications/$APP_ID.desktop" > "$APPS/$APP_ID.desktop"
cp "$DEST/share/metainfo/$APP_ID.metainfo.xml" "$METAINFO/"
cp "$DEST/share/icons/hicolor/scalable/apps/$APP_ID.svg" "$ICONS/scalable/apps/"
cp "$DEST/share/icons/hicolor/256x256/apps/$APP_ID.png" "$ICONS/256x256/apps/"
refresh_menus

echo "$("$DEST/lap-app" --version) installé dans $DEST (commande : $PREFIX/bin/lap-app)."
echo "Données : ${XDG_DATA_HOME:-$HOME/.local/share}/lap-app ; réglages : ${XDG_CONFIG_HOME:-$HOME/.config}/lap-app."
