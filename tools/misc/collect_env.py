"""Print the versions a dist_mm bug report needs::

    python tools/misc/collect_env.py
    mim run dist_mm collect_env
"""
from dist_mm.utils.collect_env import collect_env

if __name__ == '__main__':
    for name, value in collect_env().items():
        print(f'{name}: {value}')
