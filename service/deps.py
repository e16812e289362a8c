"""What a request handler needs from the running app: its settings and the store."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from redis import Redis

from workers.settings import Settings
from workers.store import Store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_redis(request: Request) -> Redis:
    return get_store(request).redis


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
