"""Why a sync stopped, as messages a user can act on.

SyncError                  every error carries a bilingual ``message``
├── Offline                no answer from the server (network down, timeouts)
├── ServerTrouble          the server kept failing (5xx) after retries
├── SessionExpired         the sign-in is no longer valid: sign in again (queue kept)
├── DeviceRevoked          an administrator revoked this device: the profile was wiped
├── NotSignedIn            this profile has no account yet
├── ResyncRequired         offline longer than the server keeps deletions: full resync
├── Refused                the server refused the request itself (4xx)
├── SyncBusy               another sync of this profile is running
└── Cancelled              the user stopped it
"""

from __future__ import annotations

from app.domain.messages import Msg


class SyncError(Exception):
    message = Msg("同步失败", "Sync failed")

    def __init__(self, message: Msg | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message.en)


class Offline(SyncError):
    message = Msg(
        "无法连接服务器,修改已保存在本机,稍后自动同步",
        "Cannot reach the server; your changes are kept and will sync later",
    )


class ServerTrouble(SyncError):
    message = Msg("服务器暂时出错,稍后自动重试", "The server is having trouble; will retry later")


class SessionExpired(SyncError):
    message = Msg(
        "登录已过期,请重新登录;未同步的修改会保留",
        "Your session has expired; sign in again. Unsynced changes are kept",
    )


class DeviceRevoked(SyncError):
    """The server's wipe order: this device was revoked (lost or stolen, or its user
    disabled). Whoever raises it to the user has wiped the profile first."""

    message = Msg(
        "管理员已停用此设备:本机的 FieldCRM 数据(数据库、附件和登录凭据)已删除,"
        "未同步的修改无法恢复。如需继续使用,请重新登录。",
        "An administrator revoked this device: FieldCRM's data on it (database, attachments "
        "and sign-in) has been deleted, and edits that were not synced are lost. Sign in "
        "again to continue.",
    )


class NotSignedIn(SyncError):
    message = Msg(
        "尚未登录服务器,修改已保存在本机", "Not signed in; your changes are kept on this device"
    )


class ResyncRequired(SyncError):
    message = Msg("离线时间过长,需要完整重新同步", "Offline too long: a full resync is needed")


class Refused(SyncError):
    def __init__(self, status: int, code: str, message: Msg) -> None:
        self.status, self.code = status, code
        super().__init__(message)


class SyncBusy(SyncError):
    message = Msg("同步正在进行中", "A sync is already running")


class Cancelled(SyncError):
    message = Msg("同步已取消", "Sync cancelled")
