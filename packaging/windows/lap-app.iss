; Inno Setup 6 script: per-user installer for the PyInstaller one-folder build of LAP.
; Build the bundle first (docs/packaging-windows.md), then, from the repository root:
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 packaging\windows\lap-app.iss
; Output: build\installer\lap-app-0.1.0-setup.exe
;
; Per-user install (no administrator rights): the program goes to
; %LOCALAPPDATA%\Programs\LAP; the user's data and settings live apart, in
; %LOCALAPPDATA%\lap-app (platformdirs), which neither an update nor an uninstall touches.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
; Never change AppId: it is how an update finds the installed version.
AppId={{6C1F6E2A-3B7D-4E0B-9A51-2F4C7D8E9B10}
AppName=LAP
AppVersion={#AppVersion}
AppVerName=LAP {#AppVersion}
AppPublisher=LAP
DefaultDirName={localappdata}\Programs\LAP
DefaultGroupName=LAP
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\build\installer
OutputBaseFilename=lap-app-{#AppVersion}-setup
SetupIconFile=lap-app.ico
UninstallDisplayIcon={app}\LAP.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes
; Code signing (see docs/packaging-windows.md): define the "signtool" tool in the IDE or with
; ISCC /S"signtool=signtool.exe sign /fd sha256 /tr http://timestamp.example /td sha256 /a $f"
; and uncomment:
; SignTool=signtool
; SignedUninstaller=yes

[Languages]
Name: "french"; MessagesFile: "compiler:Languages\French.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Files]
; The whole one-folder build; files of an older version that are gone are removed first.
Source: "..\..\build\dist\lap-app\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
; LAP.exe is the windowed twin of lap-app.exe (no console window behind the application).
Name: "{group}\LAP"; Filename: "{app}\LAP.exe"; Parameters: "demo"; Comment: "Aide à la prescription"
Name: "{autodesktop}\LAP"; Filename: "{app}\LAP.exe"; Parameters: "demo"; Tasks: desktopicon

[Run]
Filename: "{app}\LAP.exe"; Parameters: "demo"; Description: "{cm:LaunchProgram,LAP}"; Flags: nowait postinstall skipifsilent
