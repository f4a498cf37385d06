"""Install dist_mm: DIST / DIST+ knowledge distillation for OpenMMLab."""
import os
import os.path as osp
import shutil
import sys
import warnings

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def get_version() -> str:
    scope: dict = {}
    with open(osp.join(HERE, 'dist_mm', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def add_mim_extension() -> None:
    """Ship ``configs/``, ``tools/`` and ``model-index.yml`` as
    ``dist_mm/.mim/`` like OpenMMLab.

    Files are symlinked for editable installs (``pip install -e .``) and
    copied for normal installs and wheels, so that ``mim train dist_mm ...``
    finds ``dist_mm/.mim/tools/train.py`` and the package's configs, and
    ``mim search dist_mm`` its model index.
    """
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'
    elif any(
            cmd in sys.argv for cmd in ('sdist', 'bdist_wheel', 'install',
                                        'build', 'build_py')):
        mode = 'copy'
    else:
        return
    mim_path = osp.join(HERE, 'dist_mm', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in ('configs', 'tools', 'model-index.yml'):
        src = osp.join(HERE, name)
        dst = osp.join(mim_path, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), dst)
        else:
            try:
                if osp.isfile(src):
                    shutil.copyfile(src, dst)
                else:
                    shutil.copytree(src, dst)
            except OSError as err:  # pragma: no cover - reported, not hidden
                warnings.warn(f'could not copy {src} into {dst}: {err}')
                raise


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='dist_mm',
        version=get_version(),
        description='DIST / DIST+ knowledge distillation for MMDetection '
        'and MMSegmentation, as an MMRazor plugin',
        author='dist_mm contributors',
        keywords='knowledge distillation, DIST, object detection, '
        'semantic segmentation, OpenMMLab, MMRazor',
        project_urls={
            'DIST paper': 'https://arxiv.org/abs/2205.10536',
            'DIST+ paper': 'https://doi.org/10.1109/TPAMI.2025.3554235',
        },
        license='Apache License 2.0',
        classifiers=[
            'Development Status :: 4 - Beta',
            'License :: OSI Approved :: Apache Software License',
            'Operating System :: OS Independent',
            'Programming Language :: Python :: 3',
            'Programming Language :: Python :: 3.10',
            'Programming Language :: Python :: 3.11',
            'Programming Language :: Python :: 3.12',
            'Topic :: Scientific/Engineering :: Artificial Intelligence',
        ],
        long_description=open(osp.join(HERE, 'README.md')).read()
        if osp.exists(osp.join(HERE, 'README.md')) else '',
        long_description_content_type='text/markdown',
        packages=find_packages(
            exclude=('tests', 'tests.*', 'configs', 'tools')),
        include_package_data=True,
        package_data={
            'dist_mm': [
                '.mim/configs/**/*', '.mim/tools/**/*', '.mim/tools/*',
                '.mim/configs/*', '.mim/model-index.yml'
            ]
        },
        python_requires='>=3.10',
        install_requires=[
            'torch>=2.0',
            'mmengine>=0.10.0,<0.11',
            'mmcv==2.1.0',
            'mmdet==3.3.0',
            'mmsegmentation==1.2.2',
            'mmrazor==1.0.0',
            'joblib',
        ],
        extras_require={
            'docs':
            open(osp.join(HERE, 'requirements', 'docs.txt')).read().split(),
        },
        zip_safe=False,
    )
